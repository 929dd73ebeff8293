/// A CIDR prefix: an address and a prefix length, such as `198.51.100.0/24` or `2001:db8::/32`.
///
/// The stored ``address`` is always the network address (host bits zero) and carries no zone.
/// Parsing a prefix whose host bits are set (`198.51.100.7/24`) clears them: the result is
/// `198.51.100.0/24`, not an error.
public struct IPPrefix: Hashable, Sendable {
    /// The network address: host bits cleared, no zone.
    public let address: IPAddress
    /// The prefix length: 0–32 for IPv4, 0–128 for IPv6.
    public let length: Int

    /// Builds a prefix, clearing the host bits of `address` and dropping its zone.
    ///
    /// - Returns: `nil` when `length` is outside 0–32 (IPv4) or 0–128 (IPv6).
    public init?(address: IPAddress, length: Int) {
        let width = address.family.bitWidth
        guard length >= 0, length <= width else { return nil }
        self.length = length
        self.address = IPAddress(bits: address.bits & Self.mask(length: length, width: width), family: address.family)
    }

    /// The prefix of one address: `/32` for IPv4, `/128` for IPv6 (without zone).
    public init(host address: IPAddress) {
        self.address = address.withoutZone
        self.length = address.family.bitWidth
    }

    /// Parses CIDR text (`198.51.100.0/24`, `2001:db8::/32`) or a bare address (a host prefix).
    ///
    /// Host bits that are set are cleared (see the type's documentation). Zones are refused. An
    /// IPv4-mapped IPv6 prefix of length 96 or more (`::ffff:198.51.100.0/120`) becomes the IPv4
    /// prefix it covers (`198.51.100.0/24`), as mapped addresses are always handled as IPv4.
    public init?(_ text: some StringProtocol) {
        guard let prefix = AddressParser.withUTF8(text, Self.parse) else { return nil }
        self = prefix
    }

    /// The address family.
    public var family: IPFamily { address.family }

    /// Whether `candidate` lies inside the prefix; its zone is ignored. Always `false` across families.
    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.family == family else { return false }
        return candidate.bits & mask == address.bits
    }

    /// Whether every address of `other` lies inside this prefix.
    public func contains(_ other: IPPrefix) -> Bool {
        other.length >= length && contains(other.address)
    }

    /// Whether the two prefixes share at least one address.
    public func overlaps(_ other: IPPrefix) -> Bool {
        contains(other.address) || other.contains(address)
    }

    /// How many addresses the prefix holds, saturating at `UInt64.max` (IPv6 prefixes of /64 or shorter).
    public var addressCount: UInt64 {
        let hostBits = family.bitWidth - length
        return hostBits >= 64 ? .max : 1 << UInt64(hostBits)
    }

    /// The first address (the network address).
    public var first: IPAddress { address }

    /// The last address (all host bits set; the broadcast address of an IPv4 prefix).
    public var last: IPAddress {
        IPAddress(
            bits: address.bits | ~mask & Self.mask(length: family.bitWidth, width: family.bitWidth),
            family: family
        )
    }

    /// Every address of the prefix, network and broadcast addresses included.
    public var range: IPRange { IPRange(uncheckedFirst: first, last: last) }

    /// The addresses to probe in the prefix, in order, lazily: for an IPv4 prefix shorter than /31
    /// the network and broadcast addresses are left out; /31, /32 and IPv6 prefixes give every address.
    public func hostAddresses() -> IPRange {
        guard family == .ipv4, length < 31 else { return range }
        return IPRange(
            uncheckedFirst: IPAddress(bits: first.bits + 1, family: family),
            last: IPAddress(bits: last.bits - 1, family: family)
        )
    }

    /// The mask of the prefix, right-aligned like ``IPAddress/bits``.
    var mask: UInt128 { Self.mask(length: length, width: family.bitWidth) }

    static func mask(length: Int, width: Int) -> UInt128 {
        guard length > 0 else { return 0 }
        let all: UInt128 = width == 128 ? .max : (1 << UInt128(width)) - 1
        return all & ~((1 << UInt128(width - length)) - 1)
    }

    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> IPPrefix? {
        guard let slash = text.firstIndex(of: UInt8(ascii: "/")) else {
            guard let address = AddressParser.address(text), address.zone == nil else { return nil }
            return IPPrefix(host: address)
        }
        let addressText = UnsafeBufferPointer(rebasing: text[..<slash])
        let lengthText = UnsafeBufferPointer(rebasing: text[(slash + 1)...])
        if addressText.contains(UInt8(ascii: ":")) {
            guard let address = AddressParser.ipv6Address(addressText), address.zone == nil,
                let length = AddressParser.prefixLength(lengthText, maximum: 128)
            else { return nil }
            if length >= 96, let ipv4 = address.ipv4Mapped {
                return IPPrefix(address: .v4(ipv4), length: length - 96)
            }
            return IPPrefix(address: .v6(address), length: length)
        }
        guard let value = AddressParser.ipv4(addressText),
            let length = AddressParser.prefixLength(lengthText, maximum: 32)
        else { return nil }
        return IPPrefix(address: .v4(IPv4Address(value)), length: length)
    }
}

extension IPPrefix: CustomStringConvertible {
    /// The canonical CIDR text, e.g. `198.51.100.0/24` or `2001:db8::/32`.
    public var description: String { "\(address)/\(length)" }
}
