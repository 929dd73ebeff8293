import Foundation
public import ProbeProtocol

extension Lab {
    /// `ip neigh show ADDRESS` in `namespace` (default ``dut``): for instance
    /// `198.51.100.20 dev veth0 lladdr 02:00:00:00:00:14 REACHABLE`, or empty when there is no
    /// entry.
    public func neighbourEntry(_ address: IPAddress, in namespace: String? = nil) throws -> String {
        let output = try runChecked(nil, ["ip", "-n", namespace ?? dut, "neigh", "show", Addresses.text(address)])
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Empties the neighbour table of `namespace` (default ``dut``) for both families, so that a
    /// test starts without neighbour evidence left by an earlier one.
    public func flushNeighbours(in namespace: String? = nil) throws {
        try runChecked(nil, ["ip", "-n", namespace ?? dut, "neigh", "flush", "all"])
    }

    /// How many echo requests the quiet host's nftables have dropped so far (one counter per
    /// family).
    public func quietEchoDrops(ipv4: Bool) throws -> Int {
        let ruleset = try runChecked(quiet, ["nft", "list", "chain", "inet", "quiet", "input"])
        let rule = ipv4 ? "icmp type echo-request" : "icmpv6 type echo-request"
        guard let line = ruleset.split(separator: "\n").first(where: { $0.contains(rule) }),
            let range = line.range(of: "packets "),
            let count = Int(line[range.upperBound...].prefix { $0.isNumber })
        else { throw LabError(.commandFailed, "no counter for \(rule) in the quiet host's ruleset: \(ruleset)") }
        return count
    }

    /// How many packets the silent sink of `namespace` (default ``dut``) has swallowed so far.
    ///
    /// An `ifb` drops what was not redirected to it and counts it as `rx_dropped` (not
    /// `tx_dropped`), so this reads that counter.
    public func sinkDropped(in namespace: String? = nil) throws -> Int {
        // `ip netns exec` mounts the namespace's own /sys.
        let path = "/sys/class/net/\(Lab.sinkInterface)/statistics/rx_dropped"
        let text = try runChecked(namespace ?? dut, ["cat", path])
        guard let count = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw LabError(.commandFailed, "\(path) holds \(text)")
        }
        return count
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` has passed: for lab state that
    /// changes without telling (a neighbour entry, a counter).
    ///
    /// - Returns: whether the condition held in time.
    public static func eventually(
        isolation: isolated (any Actor)? = #isolation,
        timeout: Duration = .seconds(3),
        _ condition: () throws -> Bool
    ) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }
}
