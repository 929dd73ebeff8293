import ProbeProtocol
import Testing

@Suite("Prefixes and ranges")
struct IPPrefixTests {
    @Test(arguments: [
        ("198.51.100.0/24", "198.51.100.0/24"),
        ("198.51.100.77/24", "198.51.100.0/24"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("198.51.100.7", "198.51.100.7/32"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("2001:DB8:1:2::1/64", "2001:db8:1:2::/64"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("::/0", "::/0"),
        ("::1/128", "::1/128"),
        ("fe80::/10", "fe80::/10"),
        ("::ffff:198.51.100.0/120", "198.51.100.0/24"),
        ("::ffff:198.51.100.9", "198.51.100.9/32"),
    ])
    func parse(input: String, expected: String) throws {
        let prefix = try #require(IPPrefix(input), "\(input) should parse")
        #expect(prefix.description == expected)
        #expect(IPPrefix(expected) == prefix)
    }

    @Test(arguments: [
        "", "/24", "198.51.100.0/", "198.51.100.0/33", "198.51.100.0/-1", "198.51.100.0/024", "198.51.100.0/+24",
        "198.51.100.0/24/1", "198.51.100/24", "2001:db8::/129", "fe80::%eth0/64", "fe80::1%eth0", "2001:db8::/ 32",
        "198.51.100.0 /24", "x/8",
    ])
    func invalid(input: String) {
        #expect(IPPrefix(input) == nil, "\(input) should be refused")
    }

    @Test func contains() throws {
        let v4 = try #require(IPPrefix("198.51.100.0/24"))
        #expect(v4.contains(IPAddress("198.51.100.0")!))
        #expect(v4.contains(IPAddress("198.51.100.255")!))
        #expect(!v4.contains(IPAddress("198.51.101.0")!))
        #expect(!v4.contains(IPAddress("::ffff:198.51.101.1")!))
        #expect(v4.contains(IPAddress("::ffff:198.51.100.1")!))
        #expect(!v4.contains(IPAddress("2001:db8::1")!))
        let v6 = try #require(IPPrefix("fe80::/10"))
        #expect(v6.contains(IPAddress("fe80::1%eth0")!), "zones are ignored")
        #expect(v6.contains(IPAddress("febf::1")!))
        #expect(!v6.contains(IPAddress("fec0::1")!))
        #expect(!v6.contains(IPAddress("169.254.0.1")!))
        let all = try #require(IPPrefix("0.0.0.0/0"))
        #expect(all.contains(IPAddress("255.255.255.255")!))
        #expect(!all.contains(IPAddress("::1")!))
        #expect(IPPrefix("10.0.0.0/8")!.contains(IPPrefix("10.1.0.0/16")!))
        #expect(!IPPrefix("10.1.0.0/16")!.contains(IPPrefix("10.0.0.0/8")!))
        #expect(IPPrefix("10.1.0.0/16")!.overlaps(IPPrefix("10.0.0.0/8")!))
        #expect(!IPPrefix("10.0.0.0/8")!.overlaps(IPPrefix("11.0.0.0/8")!))
    }

    @Test func counts() throws {
        #expect(IPPrefix("198.51.100.0/24")!.addressCount == 256)
        #expect(IPPrefix("198.51.100.7/32")!.addressCount == 1)
        #expect(IPPrefix("0.0.0.0/0")!.addressCount == 1 << 32)
        #expect(IPPrefix("2001:db8::/120")!.addressCount == 256)
        #expect(IPPrefix("2001:db8::/65")!.addressCount == 1 << 63)
        #expect(IPPrefix("2001:db8::/64")!.addressCount == .max)
        #expect(IPPrefix("::/0")!.addressCount == .max)
        #expect(IPPrefix("198.51.100.0/24")!.last == IPAddress("198.51.100.255"))
        #expect(IPPrefix("2001:db8::/32")!.last == IPAddress("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))
    }

    @Test func hostAddressesLeaveOutNetworkAndBroadcast() throws {
        let hosts = try #require(IPPrefix("198.51.100.0/29")).hostAddresses()
        #expect(hosts.map(\.description) == (1...6).map { "198.51.100.\($0)" })
        #expect(hosts.count == 6)
        let slash24 = try #require(IPPrefix("198.51.100.0/24")).hostAddresses()
        #expect(slash24.count == 254)
        #expect(Array(slash24).count == 254)
        #expect(slash24.first == IPAddress("198.51.100.1"))
        #expect(slash24.last == IPAddress("198.51.100.254"))
        let slash16 = try #require(IPPrefix("10.20.0.0/16")).hostAddresses()
        #expect(slash16.count == 65534)
        #expect(IPPrefix("198.51.100.6/31")!.hostAddresses().map(\.description) == ["198.51.100.6", "198.51.100.7"])
        #expect(IPPrefix("198.51.100.6/32")!.hostAddresses().map(\.description) == ["198.51.100.6"])
    }

    @Test func ipv6HostAddressesIncludeAll() throws {
        let hosts = try #require(IPPrefix("2001:db8::/126")).hostAddresses()
        #expect(hosts.map(\.description) == ["2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::3"])
        let big = try #require(IPPrefix("2001:db8::/112")).hostAddresses()
        #expect(big.count == 65536)
        let huge = try #require(IPPrefix("2001:db8::/32")).hostAddresses()
        #expect(Array(huge.prefix(2)).map(\.description) == ["2001:db8::", "2001:db8::1"], "iteration is lazy")
    }

    @Test func ranges() throws {
        let range = try #require(IPRange("198.51.100.50-198.51.100.99"))
        #expect(range.count == 50)
        #expect(range.description == "198.51.100.50-198.51.100.99")
        #expect(range.contains(IPAddress("198.51.100.50")!))
        #expect(range.contains(IPAddress("198.51.100.99")!))
        #expect(!range.contains(IPAddress("198.51.100.49")!))
        #expect(!range.contains(IPAddress("198.51.100.100")!))
        #expect(!range.contains(IPAddress("::1")!))
        let addresses = Array(range)
        #expect(addresses.count == 50)
        #expect(addresses.first?.description == "198.51.100.50")
        #expect(addresses.last?.description == "198.51.100.99")

        let single = try #require(IPRange("198.51.100.5-198.51.100.5"))
        #expect(Array(single).map(\.description) == ["198.51.100.5"])

        let top = try #require(IPRange("255.255.255.254-255.255.255.255"))
        #expect(Array(top).map(\.description) == ["255.255.255.254", "255.255.255.255"], "no overflow at the end")

        let v6 = try #require(IPRange("2001:db8::fffe-2001:db8::1:1"))
        #expect(Array(v6).map(\.description) == ["2001:db8::fffe", "2001:db8::ffff", "2001:db8::1:0", "2001:db8::1:1"])
        #expect(v6.contains(IPAddress("2001:db8::ffff")!))
        #expect(IPRange("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!.count == .max)
    }

    @Test func rangeOffsets() throws {
        let range = try #require(IPRange("198.51.100.50-198.51.100.99"))
        #expect(range.address(at: 0) == IPAddress("198.51.100.50"))
        #expect(range.address(at: 49) == IPAddress("198.51.100.99"))
        #expect(range.address(at: 50) == nil)
        #expect(range.address(at: .max) == nil)
        #expect(range.offset(of: IPAddress("198.51.100.60")!) == 10)
        #expect(range.offset(of: IPAddress("198.51.100.49")!) == nil)
        let v6 = try #require(IPPrefix("2001:db8::/112")).hostAddresses()
        #expect(v6.address(at: 65535) == IPAddress("2001:db8::ffff"))
        #expect(v6.offset(of: IPAddress("2001:db8::1:0")!) == nil)
        #expect(v6.offset(of: IPAddress("2001:db8::100")!) == 256)
        let top = try #require(
            IPRange("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
        )
        #expect(top.address(at: .max) == nil, "no overflow near the top of the address space")
        #expect(top.address(at: 1) == IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
    }

    @Test(arguments: [
        "198.51.100.99-198.51.100.50", "198.51.100.50", "198.51.100.50-", "-198.51.100.50",
        "198.51.100.50-2001:db8::1", "198.51.100.50 - 198.51.100.99", "fe80::1%eth0-fe80::2%eth0", "a-b",
    ])
    func invalidRanges(input: String) {
        #expect(IPRange(input) == nil, "\(input) should be refused")
    }
}
