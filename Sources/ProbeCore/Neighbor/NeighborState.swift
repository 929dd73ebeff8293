import CProbeSys

/// The `NUD_*` state bits of a neighbour entry (`ndm_state`), as `<linux/neighbour.h>` defines them.
///
/// The kernel sets one state at a time, but the field is a bit mask, so this is an `OptionSet`;
/// ``description`` names the bits as `ip neigh` does (`REACHABLE`, `STALE|PROBE`, `NONE`).
package struct NeighborState: OptionSet, Sendable, Hashable, CustomStringConvertible {
    package var rawValue: UInt16

    package init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// `NUD_INCOMPLETE` (0x01): resolution in progress, no link-layer address yet.
    package static let incomplete = Self(rawValue: UInt16(NUD_INCOMPLETE))
    /// `NUD_REACHABLE` (0x02): confirmed within `reachable_time`.
    package static let reachable = Self(rawValue: UInt16(NUD_REACHABLE))
    /// `NUD_STALE` (0x04): has an address, unconfirmed for longer than `reachable_time`.
    package static let stale = Self(rawValue: UInt16(NUD_STALE))
    /// `NUD_DELAY` (0x08): stale and in use; a probe follows after `delay_first_probe_time`.
    package static let delay = Self(rawValue: UInt16(NUD_DELAY))
    /// `NUD_PROBE` (0x10): unicast probes under way to reconfirm a stale address.
    package static let probe = Self(rawValue: UInt16(NUD_PROBE))
    /// `NUD_FAILED` (0x20): resolution failed; nobody answered.
    package static let failed = Self(rawValue: UInt16(NUD_FAILED))
    /// `NUD_NOARP` (0x40): the link needs no resolution (loopback, point-to-point, `arp off`).
    package static let noARP = Self(rawValue: UInt16(NUD_NOARP))
    /// `NUD_PERMANENT` (0x80): a static entry set by an administrator.
    package static let permanent = Self(rawValue: UInt16(NUD_PERMANENT))
    /// `NUD_NONE` (0): just created, no state yet.
    package static let none: Self = []

    private static let names: [(Self, String)] = [
        (.incomplete, "INCOMPLETE"), (.reachable, "REACHABLE"), (.stale, "STALE"), (.delay, "DELAY"),
        (.probe, "PROBE"), (.failed, "FAILED"), (.noARP, "NOARP"), (.permanent, "PERMANENT"),
    ]

    /// The bits' names joined by `|`, `NONE` for no bit, unknown bits in hexadecimal.
    package var description: String {
        if isEmpty { return "NONE" }
        var parts = Self.names.filter { contains($0.0) }.map(\.1)
        let known = Self.names.reduce(into: Self()) { $0.formUnion($1.0) }
        let unknown = subtracting(known)
        if !unknown.isEmpty { parts.append("0x" + String(unknown.rawValue, radix: 16)) }
        return parts.joined(separator: "|")
    }
}
