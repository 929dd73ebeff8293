import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Synchronization
import Testing

/// What the Kea tests share: the root, probed running in the dut namespace with its socket
/// inside the root (where the chrooted Kea reaches it), and squatters on the lab's link.
enum KeaLab {
    private static let counter = Atomic<Int>(0)

    /// A name unique in this test run, for Kea's files and probed's socket.
    static func uniqueName(_ base: String) -> String {
        "\(base)-\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)"
    }

    /// probed's configuration in the Kea tests: only the lab's link is allowed.
    static let probedPolicy = """
        policy:
          allow: [198.51.100.0/24]
        """

    /// Starts probed in the dut namespace with its socket at `/run/<name>.sock` inside the root.
    static func startProbed(root: String, name: String, extra: String = "") async throws -> ProbedProcess {
        let lab = try Lab.required
        return try await ProbedProcess(
            in: lab.dut, configuration: probedPolicy + "\n" + extra, socketPath: "\(root)/run/\(name).sock")
    }

    /// Runs `body` with probed (see ``startProbed(root:name:extra:)``), then stops it and expects
    /// a clean exit, unless `body` stopped it itself.
    static func withProbed<T>(
        root: String, name: String, extra: String = "", _ body: (ProbedProcess) async throws -> T
    ) async throws -> T {
        let probed = try await startProbed(root: root, name: name, extra: extra)
        let result: T
        do {
            result = try await body(probed)
        } catch {
            if probed.process.isRunning { _ = try? await probed.stop() }
            throw error
        }
        if probed.process.isRunning {
            let termination = try await probed.stop()
            #expect(termination == .exited(0), "probed ended with \(termination)")
        }
        return result
    }

    /// The hook's parameters with the socket of probed `name`.
    static func hookParameters(_ name: String, _ extra: String = "") -> String {
        #""socket": "/run/\#(name).sock""# + (extra.isEmpty ? "" : ", " + extra)
    }

    /// Forgets the dut's neighbour entry for `address`, so that a squatter that has just left
    /// does not linger as neighbour evidence (probed trusts an entry confirmed in the last 30 s).
    static func forgetNeighbor(_ address: String) throws {
        let lab = try Lab.required
        _ = try lab.run(lab.dut, ["ip", "neigh", "flush", "to", address])
    }

    /// An address that answers echo: added to the live hosts' bridge for `body`.
    static func withEchoSquatter<T>(_ address: String, _ body: () async throws -> T) async throws -> T {
        let lab = try Lab.required
        return try await withSquatter(address, in: lab.hosts, on: Lab.bridgeInterface, body)
    }

    /// An address that drops echo but answers ARP: added to the quiet host for `body`.
    static func withQuietSquatter<T>(_ address: String, _ body: () async throws -> T) async throws -> T {
        let lab = try Lab.required
        return try await withSquatter(address, in: lab.quiet, on: Lab.quietInterface, body)
    }

    /// `address` held by `interface` in `namespace` for `body`; then removed, and the dut's
    /// neighbour entry for it forgotten.
    private static func withSquatter<T>(
        _ address: String, in namespace: String, on interface: String, _ body: () async throws -> T
    ) async throws -> T {
        let lab = try Lab.required
        try lab.runChecked(namespace, ["ip", "address", "add", "\(address)/24", "dev", interface])
        defer {
            _ = try? lab.run(namespace, ["ip", "address", "del", "\(address)/24", "dev", interface])
            try? forgetNeighbor(address)
        }
        return try await body()
    }

    /// Runs `body` with a Kea server, then stops it and expects a clean exit.
    static func withKea<T>(root: String, _ config: KeaConfig, _ body: (KeaServer) async throws -> T) async throws -> T {
        let lab = try Lab.required
        let kea = try await KeaServer(in: lab.dut, root: root, config: config)
        let result: T
        do {
            result = try await body(kea)
        } catch {
            _ = try? await kea.stop()
            throw error
        }
        let termination = try await kea.stop()
        #expect(termination == .exited(0), "kea-dhcp4 ended with \(termination)")
        return result
    }

    /// Waits until Kea's log has a line containing `text` (counting from the start of the log).
    static func waitForLog(_ kea: KeaServer, containing text: String, count: Int = 1, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while kea.logLines(containing: text).count < count {
            guard ContinuousClock.now < deadline else {
                throw LabError(.timeout, "Kea did not log \(count)× \(text): \(kea.log.suffix(20).joined(separator: "\n"))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
