import ProbeConfig
import ProbeProtocol
import Testing

@Suite struct PoolTests {
    static let policy = "policy:\n  allow: [198.51.100.0/24, 203.0.113.0/24, \"2001:db8::/32\", 10.0.0.0/8]\n"

    func pools(_ yaml: String) throws -> [Configuration.Pool] {
        try Configuration.parse(yaml: Self.policy + yaml).pools
    }

    // MARK: Valid pools

    @Test(
        arguments: [
            ("range: 198.51.100.10-198.51.100.10", 1, "198.51.100.10", "198.51.100.10"),
            ("range: \"198.51.100.10 - 198.51.100.19\"", 10, "198.51.100.10", "198.51.100.19"),
            ("prefix: 198.51.100.0/24", 254, "198.51.100.1", "198.51.100.254"),
            ("prefix: 198.51.100.0/30", 2, "198.51.100.1", "198.51.100.2"),
            ("prefix: 198.51.100.0/31", 2, "198.51.100.0", "198.51.100.1"),
            ("prefix: 198.51.100.7/32", 1, "198.51.100.7", "198.51.100.7"),
            ("prefix: 10.0.0.0/16", 65_534, "10.0.0.1", "10.0.255.254"),
            ("range: 10.0.0.0-10.0.255.255", 65_536, "10.0.0.0", "10.0.255.255"),
            ("prefix: \"2001:db8:100::/120\"", 256, "2001:db8:100::", "2001:db8:100::ff"),
            ("prefix: \"2001:db8:100::/112\"", 65_536, "2001:db8:100::", "2001:db8:100::ffff"),
            ("range: \"2001:db8::1-2001:db8::1:0\"", 65_536, "2001:db8::1", "2001:db8::1:0"),
        ] as [(String, Int, String, String)]
    )
    func validPool(source: String, count: Int, first: String, last: String) throws {
        let pools = try pools("pools:\n  - \(source)\n")
        try #require(pools.count == 1)
        let pool = pools[0]
        #expect(pool.count == count)
        #expect(pool.first.description == first)
        #expect(pool.last.description == last)
        #expect(Array(pool.addresses).count == count)
        #expect(pool.refreshSeconds == 10)
        #expect(pool.address(at: 0) == pool.first)
        #expect(pool.address(at: count - 1) == pool.last)
        #expect(pool.index(of: pool.last) == count - 1)
        #expect(pool.contains(pool.first))
    }

    @Test func poolIndexing() throws {
        let pool = try #require(try pools("pools:\n  - prefix: 198.51.100.0/24\n    refresh_s: 30\n").first)
        #expect(pool.refreshInterval == .seconds(30))
        #expect(pool.family == .ipv4)
        #expect(pool.address(at: 9) == .v4(IPv4Address(198, 51, 100, 10)))
        #expect(pool.index(of: .v4(IPv4Address(198, 51, 100, 10))) == 9)
        #expect(!pool.contains(.v4(IPv4Address(198, 51, 100, 0))))
        #expect(!pool.contains(.v4(IPv4Address(198, 51, 100, 255))))
        #expect(!pool.contains(.v6(IPv6Address(high: 0, low: 0xC633_640A))))
    }

    @Test func poolsSpanningAdjacentAllowedPrefixes() throws {
        let yaml = "policy:\n  allow: [10.0.0.0/24, 10.0.1.0/24]\npools:\n  - range: 10.0.0.200-10.0.1.20\n"
        #expect(try Configuration.parse(yaml: yaml).pools.first?.count == 77)
    }

    // MARK: Invalid pools

    @Test func bothRangeAndPrefix() {
        let yaml =
            "pools:\n  - prefix: 198.51.100.0/24\n  - range: 203.0.113.1-203.0.113.9\n    prefix: 203.0.113.0/24\n"
        let error = expectRefusal(Self.policy + yaml, code: .invalidValue, keyPath: "pools[1]", line: 5)
        #expect(error?.message == "names both a range and a prefix; give exactly one")
    }

    @Test func neitherRangeNorPrefix() {
        expectRefusal(Self.policy + "pools:\n  - refresh_s: 5\n", code: .missingKey, keyPath: "pools[0]", line: 4)
        expectRefusal(Self.policy + "pools:\n  - {}\n", code: .missingKey, keyPath: "pools[0]", line: 4)
    }

    @Test(
        arguments: [
            ("prefix: \"2001:db8::/64\"", "holds 2^64 addresses; a pool holds at most 65536"),
            ("prefix: \"2001:db8::/111\"", "holds 131072 addresses"),
            ("range: \"2001:db8::-2001:db8::1:0\"", "holds 65537 addresses"),
            ("prefix: 10.0.0.0/15", "holds 131070 addresses"),
            ("range: 10.0.0.0-10.1.0.0", "holds 65537 addresses"),
        ] as [(String, String)]
    )
    func oversizePool(source: String, expected: String) {
        let keyPath = source.hasPrefix("prefix") ? "pools[0].prefix" : "pools[0].range"
        let error = expectRefusal(Self.policy + "pools:\n  - \(source)\n", code: .outOfRange, keyPath: keyPath, line: 4)
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    @Test(
        arguments: [
            ("prefix: 192.168.1.0/24", "192.168.1.0/24 is outside policy.allow"),
            ("range: 198.51.100.250-198.51.101.5", "198.51.100.250-198.51.101.5 is outside policy.allow"),
            ("prefix: \"2001:db9::/120\"", "2001:db9::/120 is outside policy.allow"),
            ("prefix: 203.0.112.0/23", "203.0.112.0/23 is outside policy.allow"),
        ] as [(String, String)]
    )
    func outsidePolicy(source: String, expected: String) {
        let error = expectRefusal(
            Self.policy + "pools:\n  - \(source)\n",
            code: .outsidePolicy,
            keyPath: "pools[0]",
            line: 4
        )
        #expect(error?.message == expected)
    }

    @Test func defaultPolicyRefusesDocumentationPools() {
        let error = expectRefusal(
            "pools:\n  - prefix: 198.51.100.0/24\n",
            code: .outsidePolicy,
            keyPath: "pools[0]",
            line: 2
        )
        #expect(error?.description == "probed.yaml:2: pools[0]: 198.51.100.0/24 is outside policy.allow")
    }

    @Test(
        arguments: [
            ("range: 198.51.100.20-198.51.100.10", "runs backwards", ConfigurationError.Code.invalidValue),
            ("range: \"\"", "must be a range", .invalidValue),
            ("range: 198.51.100.20-", "is not an IPv4 or IPv6 address", .invalidValue),
            ("range: 198.51.100.20", "must be a range", .invalidValue),
            ("range: \"198.51.100.1-2001:db8::1\"", "one family", .invalidValue),
            ("range: \"fe80::1%eth0-fe80::9%eth0\"", "no zone", .invalidValue),
            ("range: \"1-2-3\"", "must be a range", .invalidValue),
            ("prefix: 198.51.100.1/24", "host bits set", .invalidValue),
            ("range: ~", "must be a range", .wrongType),
            ("prefix: [198.51.100.0/24]", "must be a CIDR prefix", .wrongType),
        ] as [(String, String, ConfigurationError.Code)]
    )
    func badSource(source: String, expected: String, code: ConfigurationError.Code) {
        let keyPath = source.hasPrefix("prefix") ? "pools[0].prefix" : "pools[0].range"
        let error = expectRefusal(Self.policy + "pools:\n  - \(source)\n", code: code, keyPath: keyPath, line: 4)
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func overlappingPools() {
        let yaml = "pools:\n  - prefix: 198.51.100.0/25\n  - range: 198.51.100.100-198.51.100.200\n"
        let error = expectRefusal(Self.policy + yaml, code: .invalidValue, keyPath: "pools[1]", line: 5)
        #expect(error?.message == "198.51.100.100-198.51.100.200 overlaps pools[0] (198.51.100.0/25)")
    }

    @Test func ipv6PoolNeedsIPv6() {
        let yaml = "probe:\n  ipv6: false\npools:\n  - prefix: \"2001:db8::/120\"\n"
        expectRefusal(Self.policy + yaml, code: .invalidValue, keyPath: "pools[0]", line: 6)
    }

    @Test(
        arguments: [
            ("prefix: 224.0.0.0/24", "multicast"),
            ("range: 255.255.255.0-255.255.255.255", "limited broadcast"),
            ("range: 0.0.0.0-0.0.0.9", "unspecified"),
            ("prefix: \"ff02::/120\"", "multicast"),
            ("range: \"::-::9\"", "unspecified"),
        ] as [(String, String)]
    )
    func neverProbedAddresses(source: String, expected: String) {
        let yaml = "policy:\n  allow: [0.0.0.0/0, \"::/0\"]\npools:\n  - \(source)\n"
        let error = expectRefusal(yaml, code: .invalidValue, keyPath: "pools[0]", line: 4)
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func refreshMustBePositive() {
        expectRefusal(
            Self.policy + "pools:\n  - prefix: 10.0.0.0/24\n    refresh_s: 0\n",
            code: .outOfRange,
            keyPath: "pools[0].refresh_s",
            line: 5
        )
    }

    @Test func poolInitializerChecks() {
        let range = IPRange("10.0.0.1-10.0.0.9")!
        #expect(Configuration.Pool(source: .range(range))?.count == 9)
        #expect(Configuration.Pool(source: .range(range), refreshSeconds: 0) == nil)
        #expect(Configuration.Pool(source: .prefix(IPPrefix("10.0.0.0/8")!)) == nil)
        #expect(Configuration.Pool(source: .prefix(IPPrefix("10.0.0.0/16")!))?.count == 65_534)
        #expect(Configuration.Pool(source: .range(IPRange("2001:db8::-2001:db8::ffff")!))?.count == 65_536)
        #expect(Configuration.Pool(source: .range(IPRange("2001:db8::-2001:db8::1:0")!)) == nil)
    }
}
