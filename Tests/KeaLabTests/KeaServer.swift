import Foundation
import Glibc
import LabSupport
import ProbeProtocol

/// A real `kea-dhcp4` in a lab namespace, chrooted into the Kea root.
final class KeaServer {
    let root: String
    let config: KeaConfig
    let process: LabProcess

    /// Writes the configuration into the root, removes an old lease file of that name, starts
    /// Kea and waits for it to serve.
    init(in namespace: String, root: String, config: KeaConfig) async throws {
        self.root = root
        self.config = config
        try config.json.write(toFile: root + config.path, atomically: true, encoding: .utf8)
        for suffix in ["", ".2", ".completed", ".output"] {
            unlink(root + config.leaseFile + suffix)
        }
        process = try LabProcess.start(namespace, ["chroot", root, "kea-dhcp4", "-c", config.path])
        do {
            _ = try await process.waitForLine(containing: "DHCP4_STARTED", timeout: .seconds(30))
        } catch {
            process.kill()
            throw error
        }
    }

    /// Sends SIGTERM and waits for the exit.
    @discardableResult
    func stop() async throws -> LabProcess.Termination {
        process.terminate()
        return try await process.waitForExit(timeout: .seconds(20))
    }

    /// Kea's log so far (it logs to stdout).
    var log: [String] { process.lines }

    /// Log lines that contain `text`.
    func logLines(containing text: String) -> [String] { log.filter { $0.contains(text) } }

    /// One row of the memfile lease file: the last state recorded for an address.
    struct Lease: Equatable {
        var address: String
        var hardwareAddress: String
        /// 0 default (active), 1 declined, 2 expired-reclaimed.
        var state: Int
    }

    /// The leases by address, from the lease file (its last row for each address).
    func leases() throws -> [String: Lease] {
        let text = (try? String(contentsOfFile: root + config.leaseFile, encoding: .utf8)) ?? ""
        var leases: [String: Lease] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > 9, let state = Int(fields[9]) else { continue }
            leases[fields[0]] = Lease(address: fields[0], hardwareAddress: fields[1], state: state)
        }
        return leases
    }

    /// Active leases (state 0) and declined addresses.
    func activeLeases() throws -> [Lease] { try leases().values.filter { $0.state == 0 } }
    func declinedAddresses() throws -> Set<String> { Set(try leases().values.filter { $0.state == 1 }.map(\.address)) }

    /// Sends a command on Kea's control socket and returns its answer.
    func command(_ json: String, timeout: Duration = .seconds(10)) throws -> JSONValue {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw LabError(.socket, "socket: errno \(errno)") }
        defer { close(descriptor) }
        let path = root + config.controlSocket
        guard withUnixSocketAddress(path, { connect(descriptor, $0, $1) }) == 0 else {
            throw LabError(.socket, "connect \(path): errno \(errno)")
        }
        let bytes = Array(json.utf8)
        guard bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw LabError(.socket, "send to \(path): errno \(errno)")
        }
        var answer: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while true {
            if let parsed = try? JSONParser.parse(answer) { return parsed }
            let left = deadline - .now
            guard left > .zero else { throw LabError(.timeout, "no answer from Kea's control socket to \(json)") }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, Int32(left.components.seconds * 1000 + 1))
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(descriptor, &chunk, chunk.count)
            if count <= 0 {
                return try JSONParser.parse(answer)
            }
            answer += chunk[..<count]
        }
    }

    /// A statistic's current value (0 when Kea has none by that name).
    func statistic(_ name: String) throws -> Int64 {
        let answer = try command(#"{"command": "statistic-get", "arguments": {"name": "\#(name)"}}"#)
        return answer["arguments"]?[name]?[0]?[0]?.int64Value ?? 0
    }
}
