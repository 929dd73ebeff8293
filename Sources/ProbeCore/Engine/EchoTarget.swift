import Glibc
package import ProbeProtocol

/// A probe target as the socket layer needs it: a ready socket address and the fields replies are
/// compared against.
package struct EchoTarget: Sendable, Hashable {
    /// IPv4: the address in host order in `low`. IPv6: both halves.
    package var high: UInt64
    package var low: UInt64
    /// IPv6 scope (interface index) for link-local targets, else 0.
    package var scopeID: UInt32
    package var family: EchoFamily

    /// Builds the target of `address`; nil when its zone names no interface.
    package init?(_ address: IPAddress) {
        switch address {
        case .v4(let v4):
            self.family = .ipv4
            self.high = 0
            self.low = UInt64(v4.value)
            self.scopeID = 0
        case .v6(let v6):
            self.family = .ipv6
            self.high = v6.high
            self.low = v6.low
            if let zone = v6.zone {
                if let index = UInt32(zone) {
                    self.scopeID = index
                } else {
                    let index = if_nametoindex(zone)
                    guard index != 0 else { return nil }
                    self.scopeID = index
                }
            } else {
                self.scopeID = 0
            }
        }
    }

    package init(family: EchoFamily, high: UInt64, low: UInt64, scopeID: UInt32) {
        self.family = family
        self.high = high
        self.low = low
        self.scopeID = scopeID
    }

    /// Calls `body` with a `sockaddr` for this target.
    func withSocketAddress<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch family {
        case .ipv4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(truncatingIfNeeded: low).bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .ipv6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &address.sin6_addr) { raw in
                raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            address.sin6_scope_id = scopeID
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// Reads the source of a received datagram; nil for an unexpected address family.
    init?(socketAddress raw: UnsafeRawPointer, length: Int) {
        guard length >= MemoryLayout<sa_family_t>.size else { return nil }
        let family = raw.loadUnaligned(as: sa_family_t.self)
        if family == sa_family_t(AF_INET), length >= MemoryLayout<sockaddr_in>.size {
            let address = raw.loadUnaligned(as: sockaddr_in.self)
            self.init(family: .ipv4, high: 0, low: UInt64(UInt32(bigEndian: address.sin_addr.s_addr)), scopeID: 0)
        } else if family == sa_family_t(AF_INET6), length >= MemoryLayout<sockaddr_in6>.size {
            let address = raw.loadUnaligned(as: sockaddr_in6.self)
            let (high, low) = withUnsafeBytes(of: address.sin6_addr) { bytes in
                (UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                 UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            }
            self.init(family: .ipv6, high: high, low: low, scopeID: address.sin6_scope_id)
        } else {
            return nil
        }
    }

    /// Whether a reply from `source` comes from this target. A link-local target also needs the
    /// same interface; a global one ignores the scope the kernel reports.
    package func matches(source: EchoTarget) -> Bool {
        guard source.family == family, source.high == high, source.low == low else { return false }
        return scopeID == 0 || source.scopeID == scopeID
    }
}
