import ProbeProtocol
import Testing

@Suite("Address parsing and canonical forms")
struct AddressParsingTests {
    @Test(arguments: [
        ("198.51.100.1", "198.51.100.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("10.0.0.9", "10.0.0.9"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:0db8::0001", "2001:db8::1"),
        ("2001:DB8::A:b:C", "2001:db8::a:b:c"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"),
        ("2001:db8::0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("::ffff:198.51.100.1", "198.51.100.1"),
        ("::FFFF:c633:6401", "198.51.100.1"),
        ("0:0:0:0:0:ffff:198.51.100.1", "198.51.100.1"),
        ("::198.51.100.1", "::c633:6401"),
        ("64:ff9b::198.51.100.1", "64:ff9b::c633:6401"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("FE80:0:0:0:0:0:0:1%br-lan.10", "fe80::1%br-lan.10"),
        ("febf::1%2", "febf::1%2"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ])
    func canonicalForm(input: String, expected: String) throws {
        let address = try #require(IPAddress(input), "\(input) should parse")
        #expect(address.description == expected)
        #expect(IPAddress(expected) == address, "the canonical form parses back to the same address")
    }

    @Test func mappedAddressIsIPv4() throws {
        let address = try #require(IPAddress("::ffff:198.51.100.1"))
        #expect(address == .v4(IPv4Address(198, 51, 100, 1)))
        #expect(address.family == .ipv4)
        // The IPv6 type keeps the mapped form, written as RFC 5952 §5 recommends.
        let raw = try #require(IPv6Address("::ffff:198.51.100.1"))
        #expect(raw.ipv4Mapped == IPv4Address(198, 51, 100, 1))
        #expect(raw.description == "::ffff:198.51.100.1")
        #expect(IPAddress.v6(raw).unmapped == address)
    }

    @Test func ipv4Value() throws {
        #expect(IPv4Address("198.51.100.1")?.value == 0xC633_6401)
        #expect(IPv4Address("0.0.0.0")?.value == 0)
        #expect(IPv4Address("::1") == nil)
        let v6 = try #require(IPv6Address("2001:db8::1"))
        #expect(v6.high == 0x2001_0DB8_0000_0000)
        #expect(v6.low == 1)
        #expect(v6.zone == nil)
    }

    @Test func zones() throws {
        let address = try #require(IPAddress("fe80::1%eth0"))
        guard case .v6(let v6) = address else {
            Issue.record("expected IPv6")
            return
        }
        #expect(v6.zone == "eth0")
        #expect(address.zone == "eth0")
        #expect(address.withoutZone.description == "fe80::1")
        #expect(IPAddress("fe80::1%eth0") != IPAddress("fe80::1%eth1"))
    }

    @Test(arguments: [
        "", " ", "256.1.1.1", "1.2.3", "1.2.3.4.5", "010.1.1.1", "1.2.3.04", "00.1.1.1", "1..2.3", ".1.2.3",
        "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "+1.2.3.4", "1.2.3.4/24", "1.2.3.4%eth0", "0x1.2.3.4",
        "1234.1.1.1", "1.2.3.256", "١.٢.٣.٤",
        "1:2:3:4:5:6:7:8:9", ":::", "::1::", "1::2::3", ":1::2", "1::2:", "1:2:3:4:5:6:7", "12345::1", "g::1",
        "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::1.2.3.4:5",
        "::ffff:256.1.1.1", "::ffff:1.2.3.04", "1.2.3.4::", "[::1]", ":", "::%eth0", "2001:db8::1 ",
        "fe80::1%", "2001:db8::1%eth0", "::1%lo", "ff02::1%eth0", "::ffff:1.2.3.4%eth0", "fe80::1%eth/0",
        "fe80::1%eth 0", "fe80::1%a%b", "fe80::1%0123456789abcdef", "fe80::1%.", "fe80::1%..", "fe80::1%e\"th",
        "fe80::1%eth0:1", "fec0::1%eth0",
    ])
    func invalid(input: String) {
        #expect(IPAddress(input) == nil, "\(input) should be refused")
    }

    @Test func classification() throws {
        func address(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }
        #expect(try address("0.0.0.0").isUnspecified)
        #expect(try address("::").isUnspecified)
        #expect(try !address("::1").isUnspecified)
        #expect(try address("224.0.0.1").isMulticast)
        #expect(try address("239.255.255.255").isMulticast)
        #expect(try !address("240.0.0.1").isMulticast)
        #expect(try address("ff02::1").isMulticast)
        #expect(try !address("fe80::1").isMulticast)
        #expect(try address("255.255.255.255").isLimitedBroadcast)
        #expect(try !address("198.51.100.255").isLimitedBroadcast)
        #expect(try address("127.0.0.1").isLoopback)
        #expect(try address("127.255.0.1").isLoopback)
        #expect(try address("::1").isLoopback)
        #expect(try !address("::2").isLoopback)
        #expect(try address("169.254.1.1").isLinkLocal)
        #expect(try address("fe80::1").isLinkLocal)
        #expect(try address("febf:ffff::1").isLinkLocal)
        #expect(try !address("fec0::1").isLinkLocal)
        #expect(try !address("198.51.100.1").isLinkLocal)
    }

    @Test func ordering() throws {
        let sorted = ["2001:db8::2", "198.51.100.2", "2001:db8::1", "10.0.0.1"].compactMap(IPAddress.init).sorted()
        #expect(sorted.map(\.description) == ["10.0.0.1", "198.51.100.2", "2001:db8::1", "2001:db8::2"])
    }

    @Test func parsesSubstrings() {
        let line = "addr=198.51.100.7;"
        let part = line.dropFirst(5).dropLast()
        #expect(IPAddress(part) == .v4(IPv4Address(198, 51, 100, 7)))
    }

    @Test func appendTextMatchesDescription() throws {
        for text in ["198.51.100.1", "2001:db8::1:0:0:1", "fe80::1%eth0", "0.0.0.0"] {
            let address = try #require(IPAddress(text))
            var bytes: [UInt8] = [0x41]
            address.appendText(to: &bytes)
            #expect(bytes == [0x41] + Array(text.utf8))
        }
    }
}
