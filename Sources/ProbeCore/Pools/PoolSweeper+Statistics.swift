import ProbeConfig
import ProbeProtocol
import Synchronization

extension PoolSweeper {
    /// Every pool's figures, in configuration order: its size, the verdicts held by state, the age
    /// of the oldest, and what its sweeps did. Counting a pool's verdicts takes the checker's lock a
    /// few thousand addresses at a time.
    package func statistics() -> [PoolStatistics] {
        let (lanes, pace) = state.withLock { state in
            (state.schedule.lanes.map { lane in (lane, state.counters[lane.pool.addresses] ?? Counters()) }, state.schedule.pace)
        }
        return lanes.map { lane, counters in
            PoolStatistics(
                pool: lane.pool.description,
                family: lane.pool.family,
                size: lane.pool.count,
                refreshSeconds: lane.pool.refreshSeconds,
                periodMilliseconds: Int(clamping: lane.period / 1_000_000),
                pacePercent: Int((pace * 100).rounded()),
                verdicts: checker.poolVerdicts(of: lane.pool),
                sweepsCompleted: lane.sweepsCompleted,
                probesStarted: counters.started,
                probesShared: counters.joined,
                skippedMarked: counters.skippedMarked
            )
        }
    }

    /// The configuration in force (the pools and `pools_max_pps`, for `info`).
    package var configuration: Configuration {
        state.withLock { $0.configuration }
    }
}
