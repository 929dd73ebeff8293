import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Testing

/// Helpers of the warm-pool lab tests.
enum PoolLab {
    typealias A = Lab.Addresses

    /// The `pools` figures of `stats`, by pool.
    static func figures(_ client: DaemonClient) throws -> [String: JSONValue] {
        var byPool: [String: JSONValue] = [:]
        for pool in try stats(client)["pools"]?.arrayValue ?? [] {
            if let name = pool["pool"]?.stringValue { byPool[name] = pool }
        }
        return byPool
    }

    /// A pool's count of verdicts in `state` (`in_use`, `free`, `unknown`, `none`).
    static func verdicts(_ figures: JSONValue?, _ state: String) -> Int? {
        figures?["verdicts"]?[state]?.intValue
    }

    /// Polls `stats` every 50 ms until every pool has a verdict for every address (`none` and
    /// `unknown` are 0); returns whether that happened within `timeout`.
    static func waitUntilWarm(_ client: DaemonClient, pools: Int, timeout: Duration) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let figures = try figures(client)
            if figures.count == pools, figures.values.allSatisfy({ verdicts($0, "none") == 0 && verdicts($0, "unknown") == 0 }) {
                return true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Polls a `check` of `address` (with `max_age_ms`) every 10 ms until `condition` holds for the
    /// answer; returns the answer that met it, or `nil` after `timeout`.
    static func waitForVerdict(
        _ client: DaemonClient,
        _ address: IPAddress,
        maxAgeMilliseconds: Int,
        timeout: Duration,
        _ condition: (JSONValue) -> Bool
    ) async throws -> JSONValue? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let answer = try client.ask(checkLine(address, extra: #","max_age_ms":\#(maxAgeMilliseconds)"#))
            if condition(answer) { return answer }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// What the lab holds at `address`: live hosts answer echo, the quiet host only ARP/NDP,
    /// everything else (silent on-link, sink) nothing.
    static func expectedState(_ address: IPAddress) -> (state: String, evidence: Set<String>) {
        if (A.live4 + A.live6).contains(address) { return ("in_use", ["echo_reply"]) }
        if address == A.quiet4 || address == A.quiet6 { return ("in_use", ["neighbor"]) }
        // A silent on-link address may see a late EHOSTUNREACH from an earlier ARP failure.
        return ("free", ["timeout", "unreachable"])
    }

    /// Every address of the range `first-last`.
    static func addresses(_ range: String) -> [IPAddress] {
        guard let range = IPRange(range) else { return [] }
        return Array(range)
    }

    /// Makes `address` appear on the hosts' bridge (a new host) until `body` returns.
    static func withHost<T>(_ lab: Lab, _ address: IPAddress, _ body: () async throws -> T) async throws -> T {
        let length = address.family == .ipv4 ? "24" : "64"
        var add = ["ip", "addr", "add", "\(address)/\(length)", "dev", Lab.bridgeInterface]
        if address.family == .ipv6 { add.append("nodad") }
        try lab.runChecked(lab.hosts, add)
        defer { _ = try? lab.run(lab.hosts, ["ip", "addr", "del", "\(address)/\(length)", "dev", Lab.bridgeInterface]) }
        return try await body()
    }

    /// Checks that the pool address `address`, answered `free` from the cache, turns `in_use` by
    /// passive evidence within a second once a host there speaks to the dut (``speakToDut(_:from:)``).
    static func expectInUseOnceItSpeaks(
        _ lab: Lab,
        _ client: DaemonClient,
        _ address: IPAddress,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let free = try await waitForVerdict(client, address, maxAgeMilliseconds: 30_000, timeout: .seconds(3)) {
            $0.state == "free" && $0.isCached == true
        }
        #expect(free != nil, sourceLocation: sourceLocation)
        try await withHost(lab, address) {
            let spoke = ContinuousClock.now
            try speakToDut(lab, from: address)
            let answer = try await waitForVerdict(client, address, maxAgeMilliseconds: 30_000, timeout: .seconds(3)) {
                $0.state == "in_use"
            }
            let took = ContinuousClock.now - spoke
            #expect(answer?.evidence == "neighbor", "\(String(describing: answer))", sourceLocation: sourceLocation)
            #expect(answer?["mac"]?.stringValue?.count == 17, sourceLocation: sourceLocation)
            #expect(answer?.isCached == true, sourceLocation: sourceLocation)
            #expect(took < .seconds(1), "in use after \(took)", sourceLocation: sourceLocation)
        }
    }

    /// Sends one UDP datagram from `source` (an address of the hosts' namespace) to the dut, after
    /// emptying the hosts' neighbour table: the hosts' kernel first asks for the dut by ARP or NDP,
    /// which tells the dut's kernel of `source`.
    static func speakToDut(_ lab: Lab, from source: IPAddress) throws {
        try lab.runChecked(lab.hosts, ["ip", "neigh", "flush", "dev", Lab.bridgeInterface])
        let sent = try lab.withNamespace(lab.hosts) { () -> Int in
            let family = source.family == .ipv4 ? AF_INET : AF_INET6
            let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
            guard descriptor >= 0 else { return -1 }
            defer { close(descriptor) }
            let target = source.family == .ipv4 ? A.dutAddress4 : A.dutAddress6
            return LabPingSocket.withSocketAddress(source) { bind(descriptor, $0, $1) } == 0
                ? LabPingSocket.withSocketAddress(target, port: 9) { address, length in
                    var byte: UInt8 = 0
                    return sendto(descriptor, &byte, 1, 0, address, length)
                } : -2
        }
        guard sent == 1 else { throw LabError(.socket, "sending from \(source) to the dut failed (\(sent), errno \(errno))") }
    }
}

/// nftables counters of the echo requests that leave the dut for some prefixes.
struct EchoCounters {
    let lab: Lab
    let prefixes: [String]
    static let table = "probedpooltest"

    /// Installs one counting rule per prefix in the dut's output hook.
    init(_ lab: Lab, prefixes: [String]) throws {
        self.lab = lab
        self.prefixes = prefixes
        _ = try? lab.run(lab.dut, ["nft", "delete", "table", "inet", Self.table])
        try lab.runChecked(lab.dut, ["nft", "add", "table", "inet", Self.table])
        try lab.runChecked(
            lab.dut, ["nft", "add", "chain", "inet", Self.table, "out", "{ type filter hook output priority 0 ; policy accept ; }"])
        for (number, prefix) in prefixes.enumerated() {
            let match = prefix.contains(":") ? "ip6 daddr \(prefix) icmpv6 type echo-request" : "ip daddr \(prefix) icmp type echo-request"
            try lab.runChecked(
                lab.dut, ["nft", "add", "rule", "inet", Self.table, "out"] + match.split(separator: " ").map(String.init)
                    + ["counter", "comment", "\"p\(number)\""])
        }
    }

    /// The echo requests counted so far for each prefix, in order.
    func counts() throws -> [Int] {
        let listing = try lab.runChecked(lab.dut, ["nft", "list", "chain", "inet", Self.table, "out"])
        return try prefixes.indices.map { number in
            guard let line = listing.split(separator: "\n").first(where: { $0.contains("comment \"p\(number)\"") }),
                let range = line.range(of: "packets "),
                let count = Int(line[range.upperBound...].prefix { $0.isNumber })
            else { throw LabError(.commandFailed, "no counter p\(number) in \(listing)") }
            return count
        }
    }

    /// Removes the rules.
    func remove() {
        _ = try? lab.run(lab.dut, ["nft", "delete", "table", "inet", Self.table])
    }
}
