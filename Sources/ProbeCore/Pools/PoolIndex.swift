import ProbeConfig
import ProbeProtocol

/// What the ``Checker`` knows of the warm pools (docs/pools.md), inside its lock: which addresses
/// belong to a pool and how long their verdicts live, which sweep probes are in flight, and
/// which got no usable verdict from their last probe.
///
/// Pools are few (a handful in practice), so finding the pool of an address is a scan over them.
struct PoolIndex: Sendable {
    /// One pool as the checker sees it.
    struct Member: Sendable {
        /// The pool.
        let pool: Configuration.Pool
        /// How long a verdict about one of its addresses lives, in nanoseconds: one (stretched)
        /// sweep period plus a margin, so that it lasts until the next sweep replaces it.
        var lifetime: UInt64
        /// Positions whose last probe gave no verdict (`unknown`, or the engine refused it).
        var unsettled: Set<Int> = []
        /// `free` verdicts that passive neighbour evidence turned `in_use`.
        var passiveHits = 0
    }

    /// The pools, in configuration order.
    private(set) var members: [Member] = []
    /// The checker's ids of the sweep probes in flight.
    private(set) var sweeping: Set<UInt64> = []
    /// The most sweep probes in flight at once, so that sweeps never take the room that on-demand
    /// checks need (`probe.max_in_flight`).
    var maxSweeping = 1

    /// Whether there are pools at all.
    var isEmpty: Bool { members.isEmpty }

    /// Sweep probes that may still start now.
    var sweepCapacity: Int { max(0, maxSweeping - sweeping.count) }

    /// Installs a new list of pools (start or reload). Pools that sweep the same addresses as
    /// before keep what is known of them.
    mutating func replace(with pools: [(pool: Configuration.Pool, lifetime: UInt64)], maxSweeping: Int) {
        var kept: [IPRange: Member] = [:]
        for member in members { kept[member.pool.addresses] = member }
        members = pools.map { pool, lifetime in
            var member = kept[pool.addresses] ?? Member(pool: pool, lifetime: lifetime)
            member.lifetime = lifetime
            return member
        }
        self.maxSweeping = max(1, maxSweeping)
    }

    /// The position in ``members`` of the pool holding `address`, and the address's index in it.
    func locate(_ address: IPAddress) -> (member: Int, index: Int)? {
        for (position, member) in members.enumerated() {
            if let index = member.pool.index(of: address) { return (position, index) }
        }
        return nil
    }

    /// How long a verdict about `address` lives, when it belongs to a pool.
    func lifetime(of address: IPAddress) -> UInt64? {
        locate(address).map { members[$0.member].lifetime }
    }

    /// Notes that sweep probe `id` started.
    mutating func sweepStarted(_ id: UInt64) {
        sweeping.insert(id)
    }

    /// Notes the end of probe `id` of `address` (a sweep's or an on-demand one): whether it settled.
    mutating func probeEnded(_ address: IPAddress, probe id: UInt64, settled: Bool) {
        if !sweeping.isEmpty { sweeping.remove(id) }
        guard !members.isEmpty, let (member, index) = locate(address) else { return }
        if settled {
            members[member].unsettled.remove(index)
        } else {
            members[member].unsettled.insert(index)
        }
    }

    /// Counts a verdict turned `in_use` by passive evidence.
    mutating func countPassiveHit(member: Int) {
        members[member].passiveHits += 1
    }
}
