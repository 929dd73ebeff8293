extension IPv4Address {
    /// `0.0.0.0`.
    public var isUnspecified: Bool { value == 0 }
    /// `127.0.0.0/8`.
    public var isLoopback: Bool { value >> 24 == 127 }
    /// `169.254.0.0/16`.
    public var isLinkLocal: Bool { value >> 16 == 0xA9FE }
    /// `224.0.0.0/4`.
    public var isMulticast: Bool { value >> 28 == 0xE }
    /// `255.255.255.255`.
    public var isLimitedBroadcast: Bool { value == .max }
}

extension IPv6Address {
    /// Builds an address from its 128 bits (the first byte in the most significant bits).
    public init(bits: UInt128, zone: String? = nil) {
        self.init(high: UInt64(truncatingIfNeeded: bits >> 64), low: UInt64(truncatingIfNeeded: bits), zone: zone)
    }

    /// The 128 bits of the address (the first byte in the most significant bits), without the zone.
    public var bits: UInt128 { UInt128(high) << 64 | UInt128(low) }

    /// `::`.
    public var isUnspecified: Bool { high == 0 && low == 0 }
    /// `::1`.
    public var isLoopback: Bool { high == 0 && low == 1 }
    /// `ff00::/8`.
    public var isMulticast: Bool { high >> 56 == 0xFF }

    /// The IPv4 address of an IPv4-mapped address (`::ffff:a.b.c.d`), else `nil`.
    public var ipv4Mapped: IPv4Address? {
        guard high == 0, low >> 32 == 0xFFFF else { return nil }
        return IPv4Address(UInt32(truncatingIfNeeded: low))
    }
}

extension IPv6Address: Comparable {
    /// Orders by address, then by zone (no zone first).
    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.high != rhs.high { return lhs.high < rhs.high }
        if lhs.low != rhs.low { return lhs.low < rhs.low }
        switch (lhs.zone, rhs.zone) {
        case (nil, nil), (.some, nil): return false
        case (nil, .some): return true
        case (.some(let left), .some(let right)): return left < right
        }
    }
}

extension IPAddress: Comparable {
    /// Orders IPv4 before IPv6, then numerically.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let left), .v4(let right)): left < right
        case (.v6(let left), .v6(let right)): left < right
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

extension IPAddress {
    /// `0.0.0.0` or `::`.
    public var isUnspecified: Bool {
        switch self {
        case .v4(let address): address.isUnspecified
        case .v6(let address): address.isUnspecified
        }
    }

    /// `224.0.0.0/4` or `ff00::/8`.
    public var isMulticast: Bool {
        switch self {
        case .v4(let address): address.isMulticast
        case .v6(let address): address.isMulticast
        }
    }

    /// `255.255.255.255` (IPv6 has no broadcast).
    public var isLimitedBroadcast: Bool {
        switch self {
        case .v4(let address): address.isLimitedBroadcast
        case .v6: false
        }
    }

    /// `127.0.0.0/8` or `::1`.
    public var isLoopback: Bool {
        switch self {
        case .v4(let address): address.isLoopback
        case .v6(let address): address.isLoopback
        }
    }

    /// `169.254.0.0/16` or `fe80::/10`.
    public var isLinkLocal: Bool {
        switch self {
        case .v4(let address): address.isLinkLocal
        case .v6(let address): address.isLinkLocal
        }
    }

    /// The IPv6 zone (interface name), if any.
    public var zone: String? {
        switch self {
        case .v4: nil
        case .v6(let address): address.zone
        }
    }

    /// The same address with an IPv4-mapped IPv6 address turned into IPv4; any other address as is.
    ///
    /// Use it on addresses that come from the kernel (`sockaddr_in6`), so that they compare equal
    /// to the parsed forms, which are always unmapped.
    public var unmapped: IPAddress {
        if case .v6(let address) = self, let ipv4 = address.ipv4Mapped { return .v4(ipv4) }
        return self
    }

    /// The same address without its zone.
    public var withoutZone: IPAddress {
        if case .v6(var address) = self, address.zone != nil {
            address.zone = nil
            return .v6(address)
        }
        return self
    }

    /// The address bits, right-aligned: IPv4 in the low 32 bits.
    var bits: UInt128 {
        switch self {
        case .v4(let address): UInt128(address.value)
        case .v6(let address): address.bits
        }
    }

    /// Builds an address of `family` from right-aligned bits (no zone).
    init(bits: UInt128, family: IPFamily) {
        switch family {
        case .ipv4: self = .v4(IPv4Address(UInt32(truncatingIfNeeded: bits)))
        case .ipv6: self = .v6(IPv6Address(bits: bits))
        }
    }
}

extension IPFamily {
    /// Bits in an address of this family: 32 or 128.
    public var bitWidth: Int {
        switch self {
        case .ipv4: 32
        case .ipv6: 128
        }
    }
}
