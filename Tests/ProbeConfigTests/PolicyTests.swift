import ProbeConfig
import ProbeProtocol
import Testing

@Suite struct PolicyTests {
    @Test func prefixesAreReadAndCanonical() throws {
        let yaml =
            "policy:\n  allow: [198.51.100.0/24, \"2001:DB8:0:0::/32\", \"::ffff:10.0.0.0/104\", 0.0.0.0/0, \"::/0\"]\n"
        let allow = try Configuration.parse(yaml: yaml).policy.allow
        #expect(allow.map(\.description) == ["198.51.100.0/24", "2001:db8::/32", "10.0.0.0/8", "0.0.0.0/0", "::/0"])
        #expect(allow.map(\.family) == [.ipv4, .ipv6, .ipv4, .ipv4, .ipv6])
    }

    @Test func containsIgnoresZonesAndFamilies() throws {
        let policy = Configuration().policy
        #expect(policy.allows(.v4(IPv4Address(10, 1, 2, 3))))
        #expect(policy.allows(.v4(IPv4Address(172, 31, 255, 255))))
        #expect(!policy.allows(.v4(IPv4Address(172, 32, 0, 0))))
        #expect(!policy.allows(.v4(IPv4Address(198, 51, 100, 1))))
        #expect(policy.allows(.v6(IPv6Address(high: 0xFE80_0000_0000_0000, low: 1, zone: "eth0"))))
        #expect(policy.allows(.v6(IPv6Address(high: 0, low: 1))))
        #expect(!policy.allows(.v6(IPv6Address(high: 0, low: 2))))
        #expect(!policy.allows(.v6(IPv6Address(high: 0x2001_0DB8_0000_0000, low: 1))))
    }

    @Test(
        arguments: [
            ("10.0.0.1/8", "host bits set (did you mean 10.0.0.0/8?)"),
            ("2001:db8::1/32", "host bits set (did you mean 2001:db8::/32?)"),
            ("10.0.0.0", "CIDR form"),
            ("10.0.0.0/33", "from 0 to 32"),
            ("2001:db8::/129", "from 0 to 128"),
            ("10.0.0.0/-1", "from 0 to 32"),
            ("10.0.0.0/8/8", "CIDR form"),
            ("10.0.0/8", "not an IPv4 or IPv6 address"),
            ("010.0.0.0/8", "not an IPv4 or IPv6 address"),
            ("fe80::%eth0/10", "no zone"),
            ("2001:db8:::/48", "not an IPv4 or IPv6 address"),
            ("::ffff:10.0.0.0/80", "/96 or longer"),
            ("example.com/8", "not an IPv4 or IPv6 address"),
        ] as [(String, String)]
    )
    func badPrefixesAreRefused(text: String, expected: String) {
        let yaml = "policy:\n  allow:\n    - 10.0.0.0/8\n    - \"\(text)\"\n"
        let error = expectRefusal(yaml, code: .invalidValue, keyPath: "policy.allow[1]", line: 4)
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func emptyAllowListIsRefused() {
        let error = expectRefusal("policy:\n  allow: []\n", code: .invalidValue, keyPath: "policy.allow", line: 2)
        #expect(error?.message.contains("at least one prefix") == true)
    }
}
