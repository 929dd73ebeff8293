/// The rule that turns a neighbour entry into evidence that a host holds its address
/// (docs/operations.md, "Neighbour evidence and its limits"): pure, so that the engine and the
/// passive-evidence path apply the same judgement.
package enum NeighborEvidence {
    /// States that never confirm a host, whatever else the entry says.
    ///
    /// - INCOMPLETE and FAILED: nobody answered (yet).
    /// - NOARP: the link does no resolution, so the entry says nothing about the host.
    /// - PERMANENT: an administrator's static entry; it stays whether the host is there or not,
    ///   so it is no evidence of a live host (and its `confirmed` time means nothing either).
    package static let excludedStates: NeighborState = [.incomplete, .failed, .noARP, .permanent]

    /// Whether `entry` shows that a host answered ARP/NDP for its address recently enough to count
    /// as `in_use`.
    ///
    /// True when the entry has a link-layer address, is in none of ``excludedStates``, and
    /// - is REACHABLE (confirmed within `reachable_time`), or
    /// - was last confirmed less than `probeAge` ago (after the probe began: the probe's own echo
    ///   made the kernel resolve it), or
    /// - was last confirmed less than `maxAge` ago (`probe.neighbor_max_age_s`).
    ///
    /// So STALE, DELAY, PROBE (and NONE) entries count only through their confirmation time: a
    /// STALE entry confirmed longer ago than both never does. An entry without `NDA_CACHEINFO`
    /// counts only when REACHABLE.
    ///
    /// - Parameters:
    ///   - entry: the neighbour entry of the probe's target.
    ///   - probeAge: the time since the probe started.
    ///   - maxAge: the oldest confirmation that still counts.
    package static func confirms(_ entry: NeighborEntry, probeAge: Duration, maxAge: Duration) -> Bool {
        guard let linkLayerAddress = entry.linkLayerAddress, !linkLayerAddress.isEmpty else { return false }
        guard entry.state.isDisjoint(with: excludedStates) else { return false }
        if entry.state.contains(.reachable) { return true }
        guard let confirmedAgo = entry.confirmedAgo else { return false }
        return confirmedAgo < probeAge || confirmedAgo < maxAge
    }

    /// How recent a state change must be for ``showsHost(_:maxAge:)`` to take a STALE event as a
    /// packet just received from the host.
    package static let freshEventAge: Duration = .seconds(1)

    /// Whether a neighbour event (`RTNLGRP_NEIGH`) shows that the host is on the link now:
    /// passive evidence (docs/pools.md).
    ///
    /// True for an added or changed entry (never a removal) that ``confirms(_:probeAge:maxAge:)``
    /// with a probe age of zero, or that the kernel has just learnt from a packet of the host: a
    /// STALE entry with a link-layer address whose state changed less than ``freshEventAge`` ago.
    ///
    /// The second case matters: when a host sends to this machine (an ARP request or Neighbor
    /// Solicitation for one of its addresses), the kernel records its link-layer address as STALE
    /// without counting it as a confirmation, so `confirmedAgo` keeps its default of twice
    /// `base_reachable_time` (60 s) and the confirmation rule alone would miss the host. It also
    /// takes a REACHABLE entry's expiry into STALE as evidence, whose confirmation may be up to
    /// 1.5 × `base_reachable_time` (45 s) old: leaning to `in_use`, as §3 asks.
    package static func showsHost(_ event: NeighborMessage, maxAge: Duration) -> Bool {
        guard event.kind == .new else { return false }
        let entry = event.entry
        if confirms(entry, probeAge: .zero, maxAge: maxAge) { return true }
        guard let linkLayerAddress = entry.linkLayerAddress, !linkLayerAddress.isEmpty,
            entry.state.isDisjoint(with: excludedStates), entry.state.contains(.stale),
            let updatedAgo = entry.updatedAgo
        else { return false }
        return updatedAgo < freshEventAge
    }
}
