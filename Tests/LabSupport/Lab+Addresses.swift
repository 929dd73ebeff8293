import Glibc
public import ProbeProtocol

extension Lab {
    /// The lab's addresses and routes. Only documentation prefixes (198.51.100.0/24,
    /// 203.0.113.0/24, 198.18.0.0/15, 2001:db8::/32); never 192.0.2.0/24.
    ///
    /// The errors are those `sendto()` of an echo request gives in ``Lab/dut`` (ping socket) and
    /// ``Lab/dutRaw`` (raw socket), measured on Linux 6.18 and checked by the lab's smoke tests:
    ///
    /// | target | IPv4 | IPv6 |
    /// |---|---|---|
    /// | sink | sent, dropped in the ifb | sent, dropped in the ifb |
    /// | prohibit | EACCES | EACCES |
    /// | unreachable | EHOSTUNREACH | EHOSTUNREACH |
    /// | no route | ENETUNREACH | ENETUNREACH |
    public enum Addresses {
        /// The hosts' link.
        public static let subnet4 = "198.51.100.0/24"
        /// The hosts' link.
        public static let subnet6 = "2001:db8:100::/64"

        /// ``Lab/dut``'s address: 198.51.100.1.
        public static let dutAddress4 = v4(198, 51, 100, 1)
        /// ``Lab/dut``'s address: 2001:db8:100::1.
        public static let dutAddress6 = v6(0x2001_0db8_0100_0000, 0x1)
        /// ``Lab/dutRaw``'s address: 198.51.100.2.
        public static let dutRawAddress4 = v4(198, 51, 100, 2)
        /// ``Lab/dutRaw``'s address: 2001:db8:100::2.
        public static let dutRawAddress6 = v6(0x2001_0db8_0100_0000, 0x2)

        /// Live hosts that answer echo: 198.51.100.10 to 198.51.100.19.
        public static let live4: [IPAddress] = (10...19).map { v4(198, 51, 100, UInt8($0)) }
        /// Live hosts that answer echo: 2001:db8:100::10 to 2001:db8:100::19 (hexadecimal).
        public static let live6: [IPAddress] = (0x10...0x19).map { v6(0x2001_0db8_0100_0000, UInt64($0)) }

        /// The host that drops echo requests but answers ARP: 198.51.100.20.
        public static let quiet4 = v4(198, 51, 100, 20)
        /// The host that drops echo requests but answers NDP: 2001:db8:100::20.
        public static let quiet6 = v6(0x2001_0db8_0100_0000, 0x20)
        /// The quiet host's MAC address, as `ip neigh` and the daemon print it.
        public static let quietMAC = "02:00:00:00:00:14"

        /// On-link addresses nobody holds (ARP fails): 198.51.100.77 to 198.51.100.99.
        public static let silent4: [IPAddress] = (77...99).map { v4(198, 51, 100, UInt8($0)) }
        /// On-link addresses nobody holds (NDP fails): 2001:db8:100::77 to 2001:db8:100::99
        /// (hexadecimal, 35 addresses).
        public static let silent6: [IPAddress] = (0x77...0x99).map { v6(0x2001_0db8_0100_0000, UInt64($0)) }

        /// Routed into the silent sink: 203.0.113.0/25 and 198.18.0.0/15.
        public static let sinkPrefixes4 = ["203.0.113.0/25", "198.18.0.0/15"]
        /// Routed into the silent sink.
        public static let sinkPrefix6 = "2001:db8:200::/64"
        /// An address in the silent sink: 203.0.113.5 (echo leaves, nothing ever answers).
        public static let sink4 = v4(203, 0, 113, 5)
        /// An address in the silent sink: 2001:db8:200::5.
        public static let sink6 = v6(0x2001_0db8_0200_0000, 0x5)

        /// A `prohibit` route: sendto() fails with ``prohibitErrno``.
        public static let prohibitPrefix4 = "203.0.113.128/26"
        /// A `prohibit` route.
        public static let prohibitPrefix6 = "2001:db8:300::/64"
        /// Behind the prohibit route: 203.0.113.130.
        public static let prohibit4 = v4(203, 0, 113, 130)
        /// Behind the prohibit route: 2001:db8:300::5.
        public static let prohibit6 = v6(0x2001_0db8_0300_0000, 0x5)
        /// What sendto() gives behind a prohibit route, IPv4 and IPv6: EACCES.
        public static let prohibitErrno: Int32 = EACCES

        /// An `unreachable` route: sendto() fails with ``unreachableErrno``.
        public static let unreachablePrefix4 = "203.0.113.192/27"
        /// An `unreachable` route.
        public static let unreachablePrefix6 = "2001:db8:400::/64"
        /// Behind the unreachable route: 203.0.113.200.
        public static let unreachable4 = v4(203, 0, 113, 200)
        /// Behind the unreachable route: 2001:db8:400::5.
        public static let unreachable6 = v6(0x2001_0db8_0400_0000, 0x5)
        /// What sendto() gives behind an unreachable route, IPv4 and IPv6: EHOSTUNREACH.
        public static let unreachableErrno: Int32 = EHOSTUNREACH

        /// No route at all (and no default route): 203.0.113.224/27.
        public static let noRoutePrefix4 = "203.0.113.224/27"
        /// No route at all: 2001:db8:500::/64.
        public static let noRoutePrefix6 = "2001:db8:500::/64"
        /// Without a route: 203.0.113.230.
        public static let noRoute4 = v4(203, 0, 113, 230)
        /// Without a route: 2001:db8:500::5.
        public static let noRoute6 = v6(0x2001_0db8_0500_0000, 0x5)
        /// What sendto() gives without a route, IPv4 and IPv6: ENETUNREACH.
        public static let noRouteErrno: Int32 = ENETUNREACH

        /// `count` distinct addresses of the sink's 198.18.0.0/15, from 198.18.0.1 on: targets for
        /// load tests that must never answer (at most 131,070).
        public static func sinkAddresses4(count: Int) -> [IPAddress] {
            precondition(count >= 0 && count <= 131_070, "198.18.0.0/15 holds 131,070 usable addresses")
            let base: UInt32 = 198 << 24 | 18 << 16
            return (0..<count).map { .v4(IPv4Address(base + 1 + UInt32($0))) }
        }

        /// `count` distinct addresses of the sink's 2001:db8:200::/64, from 2001:db8:200::1 on.
        public static func sinkAddresses6(count: Int) -> [IPAddress] {
            precondition(count >= 0, "count must not be negative")
            return (0..<count).map { v6(0x2001_0db8_0200_0000, UInt64($0) + 1) }
        }

        /// The textual form of an address: dotted quad, or RFC 5952 IPv6 (lowercase, the longest
        /// run of zero groups as `::`), as `ip` and `ping` take it.
        public static func text(_ address: IPAddress) -> String {
            switch address {
            case .v4(let ipv4):
                return (0..<4).map { String(ipv4.value >> (24 - 8 * UInt32($0)) & 0xFF) }.joined(separator: ".")
            case .v6(let ipv6):
                let bytes = ipv6.bytes
                let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
                var best = (start: -1, length: 1)
                var index = 0
                while index < 8 {
                    guard groups[index] == 0 else {
                        index += 1
                        continue
                    }
                    var end = index
                    while end < 8 && groups[end] == 0 { end += 1 }
                    if end - index > best.length { best = (index, end - index) }
                    index = end
                }
                let hex = groups.map { String($0, radix: 16) }
                var text: String
                if best.start < 0 {
                    text = hex.joined(separator: ":")
                } else {
                    text = hex[..<best.start].joined(separator: ":") + "::"
                        + hex[(best.start + best.length)...].joined(separator: ":")
                }
                if let zone = ipv6.zone { text += "%\(zone)" }
                return text
            }
        }

        private static func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> IPAddress {
            .v4(IPv4Address(a, b, c, d))
        }

        private static func v6(_ high: UInt64, _ low: UInt64) -> IPAddress {
            .v6(IPv6Address(high: high, low: low))
        }
    }
}
