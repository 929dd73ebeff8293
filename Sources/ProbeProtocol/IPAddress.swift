/// An IPv4 or IPv6 address, as probed talks about it: a probe target, a cache key, a wire value.
///
/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is always held as ``IPAddress/v4(_:)``; an IPv6
/// link-local address may carry a zone (`fe80::1%eth0`). The textual form (``description``) is
/// the canonical one used on the wire: dotted quad for IPv4, RFC 5952 for IPv6.
public enum IPAddress: Hashable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// The address family.
    public var family: IPFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }
}

/// An address family.
public enum IPFamily: String, Hashable, Sendable, CaseIterable {
    case ipv4
    case ipv6
}

/// An IPv4 address, held in host byte order (`198.51.100.1` is `0xC633_6401`).
public struct IPv4Address: Hashable, Sendable, Comparable {
    public var value: UInt32

    public init(_ value: UInt32) {
        self.value = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// An IPv6 address as two 64-bit halves in host byte order (`high` holds the first eight bytes),
/// with an optional zone (interface name) for link-local addresses.
public struct IPv6Address: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64
    /// The scope zone, an interface name such as `eth0`; only meaningful for link-local addresses.
    public var zone: String?

    public init(high: UInt64, low: UInt64, zone: String? = nil) {
        self.high = high
        self.low = low
        self.zone = zone
    }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return out
    }

    /// Builds an address from sixteen bytes in network order.
    public init(bytes: some Collection<UInt8>, zone: String? = nil) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low, zone: zone)
    }

    /// `fe80::/10`.
    public var isLinkLocal: Bool { high >> 54 == 0x3FA }
}
