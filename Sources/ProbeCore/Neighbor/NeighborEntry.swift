package import ProbeProtocol

/// One entry of the kernel's neighbour table (ARP for IPv4, NDP for IPv6), as an
/// `RTM_NEWNEIGH` message describes it.
package struct NeighborEntry: Sendable, Hashable, CustomStringConvertible {
    /// The neighbour's address (`NDA_DST`), without a zone: for an IPv6 link-local address the
    /// link is ``interfaceIndex``.
    package var address: IPAddress
    /// The interface the entry belongs to (`ndm_ifindex`).
    package var interfaceIndex: Int32
    /// The `NUD_*` state (`ndm_state`).
    package var state: NeighborState
    /// The `NTF_*` flags (`ndm_flags`), e.g. `NTF_ROUTER` (0x80) for an IPv6 router.
    package var flags: UInt8
    /// The link-layer address (`NDA_LLADDR`) in lowercase colon hex (`02:00:00:00:00:14`), or
    /// `nil` when the entry has none (INCOMPLETE, FAILED) or an empty one.
    package var linkLayerAddress: String?
    /// How long ago the neighbour last confirmed it is there (`ndm_confirmed`), in the kernel's
    /// 10 ms resolution. A new entry that was never confirmed reports twice `base_reachable_time`
    /// (60 s by default).
    package var confirmedAgo: Duration?
    /// How long ago the entry was last used to send (`ndm_used`).
    package var usedAgo: Duration?
    /// How long ago the entry's state last changed (`ndm_updated`).
    package var updatedAgo: Duration?

    package init(
        address: IPAddress,
        interfaceIndex: Int32,
        state: NeighborState,
        flags: UInt8 = 0,
        linkLayerAddress: String? = nil,
        confirmedAgo: Duration? = nil,
        usedAgo: Duration? = nil,
        updatedAgo: Duration? = nil
    ) {
        self.address = address
        self.interfaceIndex = interfaceIndex
        self.state = state
        self.flags = flags
        self.linkLayerAddress = linkLayerAddress
        self.confirmedAgo = confirmedAgo
        self.usedAgo = usedAgo
        self.updatedAgo = updatedAgo
    }

    /// `ip neigh`-like: `198.51.100.20 if 2 lladdr 02:00:00:00:00:14 REACHABLE confirmed 120ms ago`.
    package var description: String {
        var text = "\(address) if \(interfaceIndex)"
        if let linkLayerAddress { text += " lladdr \(linkLayerAddress)" }
        text += " \(state)"
        if let confirmedAgo { text += " confirmed \(Self.milliseconds(confirmedAgo))ms ago" }
        return text
    }

    /// Formats link-layer address bytes as lowercase colon-separated hex (`02:00:00:00:00:14`).
    package static func formatLinkLayerAddress(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        for byte in bytes {
            if !text.isEmpty { text.append(UInt8(ascii: ":")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A duration of `ticks` kernel clock ticks (`USER_HZ`, 10 ms each).
    package static func duration(ticks: UInt32) -> Duration {
        .milliseconds(Int64(ticks) * Int64(1000 / Netlink.userHZ))
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
