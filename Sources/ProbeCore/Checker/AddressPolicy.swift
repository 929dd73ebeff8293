package import ProbeProtocol

/// Which addresses may be checked, picked and marked: those inside `policy.allow`, except the
/// unspecified, multicast and limited-broadcast addresses, which are refused even where a prefix
/// covers them.
package struct AddressPolicy: Sendable, Hashable {
    /// The allowed prefixes (`policy.allow`).
    package var allow: [IPPrefix]

    /// A policy that allows the addresses inside `allow`.
    package init(allow: [IPPrefix]) {
        self.allow = allow
    }

    /// Why `address` may not be probed, or `nil` when it may.
    ///
    /// The zone of an IPv6 address plays no part in the prefix test.
    ///
    /// - Returns: `nil` when allowed; otherwise a `not_allowed` ``ProbeError`` whose message names the
    ///   address and the reason, e.g. `203.0.113.9 is outside the allowed prefixes` or
    ///   `224.0.0.1 is a multicast address`.
    @inline(__always)
    package func check(_ address: IPAddress) -> ProbeError? {
        if address.isUnspecified {
            return .notAllowed("\(address) is the unspecified address")
        }
        if address.isMulticast {
            return .notAllowed("\(address) is a multicast address")
        }
        if address.isLimitedBroadcast {
            return .notAllowed("\(address) is the limited broadcast address")
        }
        for prefix in allow where prefix.contains(address) {
            return nil
        }
        return .notAllowed("\(address) is outside the allowed prefixes")
    }

    /// Whether `address` may be probed (``check(_:)`` returns `nil`).
    package func allows(_ address: IPAddress) -> Bool {
        check(address) == nil
    }
}
