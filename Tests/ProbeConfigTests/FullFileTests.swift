import ProbeConfig
import ProbeProtocol
import Testing

@Suite struct FullFileTests {
    static let yaml = """
        socket:
          path: /run/probed-test/q.sock
          mode: "0600"
          group: dhcp
          allowed_uids: [0, 108]
          allowed_gids:
            - 4294967294
        probe:
          timeout_ms: 150
          attempts: 3
          max_pps: 1_000
          max_in_flight: 65536
          neighbor_evidence: false
          neighbor_max_age_s: 5
          neighbor_solicit: "off"
          ipv6: no
        cache:
          in_use_ttl_s: 120
          free_ttl_s: 2
          max_entries: 1000
        pools:
          - range: "198.51.100.50-198.51.100.99"
            refresh_s: 20
          - prefix: 203.0.113.0/24
        pools_max_pps: 800
        policy:
          allow: [198.51.100.0/24, 203.0.113.0/24, "2001:db8::/32"]
        limits:
          max_connections: 16
          max_line_bytes: 1024
          max_pending_per_connection: 8
        log:
          level: debug
        metrics:
          listen: "[::1]:9469"
        """

    @Test func everyKeyIsRead() throws {
        let configuration = try Configuration.parse(yaml: Self.yaml, fileName: "full.yaml")
        #expect(configuration.socket.path == "/run/probed-test/q.sock")
        #expect(configuration.socket.mode == 0o600)
        #expect(configuration.socket.group == "dhcp")
        #expect(configuration.socket.allowedUIDs == [0, 108])
        #expect(configuration.socket.allowedGIDs == [4_294_967_294])
        #expect(configuration.probe.timeoutMilliseconds == 150)
        #expect(configuration.probe.attempts == 3)
        #expect(configuration.probe.maxPPS == 1000)
        #expect(configuration.probe.maxInFlight == 65_536)
        #expect(configuration.probe.neighborEvidence == false)
        #expect(configuration.probe.neighborMaxAgeSeconds == 5)
        #expect(configuration.probe.neighborSolicit == .off)
        #expect(configuration.probe.ipv6 == false)
        #expect(configuration.cache.inUseTTLSeconds == 120)
        #expect(configuration.cache.freeTTLSeconds == 2)
        #expect(configuration.cache.maxEntries == 1000)
        #expect(configuration.poolsMaxPPS == 800)
        #expect(
            configuration.policy.allow.map(\.description) == ["198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"]
        )
        #expect(configuration.limits.maxConnections == 16)
        #expect(configuration.limits.maxLineBytes == 1024)
        #expect(configuration.limits.maxPendingPerConnection == 8)
        #expect(configuration.log.level == .debug)
        #expect(configuration.metrics.listen == "[::1]:9469")
        #expect(configuration.metrics.endpoint == Configuration.Endpoint(host: "::1", port: 9469))

        try #require(configuration.pools.count == 2)
        let range = configuration.pools[0]
        #expect(range.description == "198.51.100.50-198.51.100.99")
        #expect(range.count == 50)
        #expect(range.refreshSeconds == 20)
        #expect(range.first == .v4(IPv4Address(198, 51, 100, 50)))
        #expect(range.last == .v4(IPv4Address(198, 51, 100, 99)))
        let prefix = configuration.pools[1]
        #expect(prefix.description == "203.0.113.0/24")
        #expect(prefix.refreshSeconds == 10)
        #expect(prefix.count == 254)
        #expect(prefix.first == .v4(IPv4Address(203, 0, 113, 1)))
        #expect(prefix.last == .v4(IPv4Address(203, 0, 113, 254)))
    }

    @Test func partialFileKeepsOtherDefaults() throws {
        let configuration = try Configuration.parse(yaml: "probe:\n  timeout_ms: 500\n")
        var expected = Configuration()
        expected.probe.timeoutMilliseconds = 500
        #expect(configuration == expected)
    }

    @Test func flowStyleIsAccepted() throws {
        let yaml = "{probe: {attempts: 4}, log: {level: warning}, pools: [{prefix: 10.9.0.0/30}]}"
        let configuration = try Configuration.parse(yaml: yaml)
        #expect(configuration.probe.attempts == 4)
        #expect(configuration.log.level == .warning)
        #expect(configuration.pools.map(\.count) == [2])
    }

    @Test func groupMayBeNumericOrNull() throws {
        #expect(try Configuration.parse(yaml: "socket:\n  group: 998\n").socket.group == "998")
        #expect(try Configuration.parse(yaml: "socket:\n  group:\n").socket.group == nil)
        #expect(try Configuration.parse(yaml: "socket:\n  group: ~\n").socket.group == nil)
    }

    @Test func booleansInBothSpellings() throws {
        #expect(try Configuration.parse(yaml: "probe:\n  ipv6: false\n").probe.ipv6 == false)
        #expect(try Configuration.parse(yaml: "probe:\n  ipv6: off\n").probe.ipv6 == false)
        #expect(try Configuration.parse(yaml: "probe:\n  ipv6: True\n").probe.ipv6 == true)
    }

    @Test func loadReadsAFile() throws {
        let path = try temporaryFile(containing: Self.yaml)
        defer { removeFile(path) }
        let configuration = try Configuration.load(path: path)
        #expect(configuration == (try Configuration.parse(yaml: Self.yaml)))
    }
}
