import Synchronization

extension Checker {
    /// The counters so far and the current figures: cache size, probes in flight, waiting requests,
    /// round-trip percentiles.
    package func statistics() -> CheckerStatistics {
        state.withLock { state in
            var statistics = state.counters
            statistics.cacheEntries = state.cache.count
            statistics.cacheEvictions = state.cache.evictions
            statistics.cacheExpirations = state.cache.expirations
            statistics.inFlight = state.inFlight.count
            statistics.waiting = state.inFlight.waiterCount
            let histogram = state.roundTrips
            if let p50 = histogram.percentile(0.5), let p90 = histogram.percentile(0.9),
                let p99 = histogram.percentile(0.99)
            {
                statistics.roundTrip = CheckerStatistics.RoundTrip(
                    count: histogram.count,
                    p50: p50,
                    p90: p90,
                    p99: p99,
                    maximum: histogram.maximum
                )
            }
            return statistics
        }
    }
}
