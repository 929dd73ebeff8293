import ProbeProtocol

/// The verdicts the cache holds about the addresses of one pool, by state (a `stats` figure).
package struct PoolVerdictCounts: Sendable, Hashable {
    /// Addresses with a live `in_use` verdict (marks included).
    package var inUse = 0
    /// Addresses with a live `free` verdict (marks included).
    package var free = 0
    /// Addresses without a live verdict whose last probe settled nothing (`unknown`, or refused).
    package var unknown = 0
    /// Addresses without any verdict yet (not swept since the pool started, or forgotten, or evicted).
    package var none = 0
    /// Addresses holding a live `mark` (counted in ``inUse`` or ``free`` too).
    package var marked = 0
    /// The age of the oldest live verdict, in nanoseconds; `nil` when there is none.
    package var oldestAge: UInt64?
    /// `free` verdicts that passive neighbour evidence turned `in_use`, since the pool started.
    package var passiveHits = 0

    package init() {}

    /// Counts one live cache entry.
    mutating func count(_ entry: VerdictCache.Entry, now: UInt64) {
        switch entry.state {
        case .inUse: inUse += 1
        case .free: free += 1
        case .unknown: unknown += 1
        }
        if entry.isMark { marked += 1 }
        let age = entry.age(at: now)
        if age > (oldestAge ?? 0) || oldestAge == nil { oldestAge = age }
    }
}
