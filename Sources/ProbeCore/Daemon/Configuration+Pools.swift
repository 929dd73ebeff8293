package import ProbeConfig

extension PoolSweeper.Configuration {
    /// The sweeper's share of the daemon configuration: `pools`, `pools_max_pps`, and the probe
    /// settings its sweeps use.
    package init(_ configuration: Configuration) {
        self.init(
            pools: configuration.pools,
            maxEchoesPerSecond: configuration.poolsMaxPPS,
            attempts: configuration.probe.attempts,
            timeout: .milliseconds(configuration.probe.timeoutMilliseconds),
            maxInFlight: configuration.probe.maxInFlight,
            cacheEntries: configuration.cache.maxEntries
        )
    }
}

extension NeighborWatcher.Configuration {
    /// The passive-evidence share of the daemon configuration.
    package init(_ configuration: Configuration) {
        self.init(
            enabled: configuration.probe.neighborEvidence,
            maxAge: configuration.probe.neighborMaxAge,
            watching: !configuration.pools.isEmpty
        )
    }
}
