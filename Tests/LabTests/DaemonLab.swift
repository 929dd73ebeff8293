import Foundation
import LabSupport
import ProbeProtocol
import Testing

/// The configuration the daemon tests run with: the lab's prefixes allowed, except the prohibit
/// route's (203.0.113.128/26, 2001:db8:300::/64), which serve as the forbidden addresses.
let labPolicy = """
    policy:
      allow: [198.51.100.0/24, 203.0.113.0/25, 203.0.113.192/26, 198.18.0.0/15, 127.0.0.0/8,
              "2001:db8:100::/64", "2001:db8:200::/64", "2001:db8:400::/64", "2001:db8:500::/64", "::1/128"]
    """

/// Runs a real `probed` inside the lab's dut namespace for `body`, then stops it with SIGTERM and
/// checks it exits 0.
func withDaemon<T>(
    _ extra: String = "",
    policy: String = labPolicy,
    namespace: ((Lab) -> String)? = nil,
    _ body: (ProbedProcess) async throws -> T
) async throws -> T {
    let lab = try Lab.required
    let daemon = try await ProbedProcess(in: namespace?(lab) ?? lab.dut, configuration: policy + "\n" + extra)
    let result: T
    do {
        result = try await body(daemon)
    } catch {
        _ = try? await daemon.stop()
        throw error
    }
    let termination = try await daemon.stop()
    #expect(termination == .exited(0), "probed ended with \(termination): \(daemon.process.errorOutput)")
    return result
}

extension JSONValue {
    var state: String? { self["state"]?.stringValue }
    var evidence: String? { self["evidence"]?.stringValue }
    var errorCode: String? { self["error"]?["code"]?.stringValue }
    var isCached: Bool? { self["cached"]?.boolValue }
}

/// A `check` request line.
func checkLine(_ address: IPAddress, id: Int? = nil, extra: String = "") -> String {
    let idPart = id.map { "\"id\":\($0)," } ?? ""
    return "{\(idPart)\"op\":\"check\",\"addr\":\"\(address)\"\(extra)}"
}

/// The daemon's counters.
func stats(_ client: DaemonClient) throws -> JSONValue {
    let answer = try client.ask(#"{"op":"stats"}"#)
    guard let stats = answer["stats"] else { throw LabError(.commandFailed, "no stats in \(answer)") }
    return stats
}

/// Reads `count` answers and returns them by integer id.
func readAnswers(_ client: DaemonClient, count: Int, timeout: Duration = .seconds(20)) throws -> [Int: JSONValue] {
    var answers: [Int: JSONValue] = [:]
    for _ in 0..<count {
        guard let answer = try client.readJSON(timeout: timeout) else { break }
        if let id = answer["id"]?.intValue { answers[id] = answer }
    }
    return answers
}
