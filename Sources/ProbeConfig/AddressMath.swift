import ProbeProtocol

/// Addresses as unsigned numbers, for the range arithmetic of pools and policy coverage: IPv4 in the
/// low 32 bits, IPv6 in all 128. Zones are ignored.
enum AddressMath {
    static func bits(of address: IPAddress) -> UInt128 {
        switch address {
        case .v4(let v4): UInt128(v4.value)
        case .v6(let v6): v6.bits
        }
    }

    static func address(_ bits: UInt128, family: IPFamily) -> IPAddress {
        switch family {
        case .ipv4: .v4(IPv4Address(UInt32(truncatingIfNeeded: bits)))
        case .ipv6: .v6(IPv6Address(bits: bits))
        }
    }

    /// The first…last numbers of a range.
    static func bounds(of range: IPRange) -> ClosedRange<UInt128> {
        bits(of: range.first)...bits(of: range.last)
    }
}
