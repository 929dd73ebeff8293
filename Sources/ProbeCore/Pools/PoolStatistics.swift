package import ProbeProtocol

/// One warm pool's figures, as `stats` reports them (docs/pools.md).
package struct PoolStatistics: Sendable, Hashable {
    /// The pool as written in the configuration, canonical: `198.51.100.50-198.51.100.99`.
    package var pool: String
    /// Its address family.
    package var family: IPFamily
    /// How many addresses it sweeps.
    package var size: Int
    /// `refresh_s`.
    package var refreshSeconds: Int
    /// The time one pass over the pool takes, in milliseconds: `refresh_s` less the lead, or
    /// longer when `pools_max_pps` stretches it or the sweeps slow down for the engine.
    package var periodMilliseconds: Int
    /// The pace of all sweeps, in percent of the planned rate: below 100 while the engine is
    /// behind (sweep probes ending late), so that on-demand checks keep their deadlines.
    package var pacePercent: Int
    /// The verdicts held about its addresses, by state, and the age of the oldest.
    package var verdicts: PoolVerdictCounts
    /// Passes over the whole pool completed.
    package var sweepsCompleted: Int
    /// Sweep probes started.
    package var probesStarted: Int
    /// Sweeps that shared a probe already in flight (an on-demand check's).
    package var probesShared: Int
    /// Addresses skipped because a `mark` held them.
    package var skippedMarked: Int

    package init(
        pool: String,
        family: IPFamily,
        size: Int,
        refreshSeconds: Int,
        periodMilliseconds: Int,
        pacePercent: Int = 100,
        verdicts: PoolVerdictCounts,
        sweepsCompleted: Int,
        probesStarted: Int,
        probesShared: Int,
        skippedMarked: Int
    ) {
        self.pool = pool
        self.family = family
        self.size = size
        self.refreshSeconds = refreshSeconds
        self.periodMilliseconds = periodMilliseconds
        self.pacePercent = pacePercent
        self.verdicts = verdicts
        self.sweepsCompleted = sweepsCompleted
        self.probesStarted = probesStarted
        self.probesShared = probesShared
        self.skippedMarked = skippedMarked
    }
}
