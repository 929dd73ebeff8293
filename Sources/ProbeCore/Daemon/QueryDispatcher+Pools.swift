import ProbeConfig
import ProbeProtocol

extension QueryDispatcher {
    /// `info`'s `pools`: each pool with its family, size and `refresh_s`, in configuration order.
    func poolsInfo() -> JSONValue {
        guard let pools else { return .array([]) }
        return .array(
            pools.configuration.pools.map { pool in
                .object([
                    "pool": .string(pool.description),
                    "family": .string(pool.family.rawValue),
                    "size": .integer(pool.count),
                    "refresh_s": .integer(pool.refreshSeconds),
                ])
            }
        )
    }

    /// `info`'s `pools_max_pps`.
    func poolsMaxPPS() -> JSONValue {
        .integer(pools?.configuration.maxEchoesPerSecond ?? 0)
    }

    /// `stats`' `pools`: per pool its size, verdicts by state (`none`: no verdict yet), the age of
    /// the oldest verdict (`null` when there is none), completed sweeps and what the sweeps did.
    func poolsStatistics() -> JSONValue {
        guard let pools else { return .array([]) }
        return .array(
            pools.statistics().map { pool in
                let verdicts = pool.verdicts
                return .object([
                    "pool": .string(pool.pool),
                    "family": .string(pool.family.rawValue),
                    "size": .integer(pool.size),
                    "refresh_s": .integer(pool.refreshSeconds),
                    "period_ms": .integer(pool.periodMilliseconds),
                    "pace_percent": .integer(pool.pacePercent),
                    "verdicts": .object([
                        "in_use": .integer(verdicts.inUse),
                        "free": .integer(verdicts.free),
                        "unknown": .integer(verdicts.unknown),
                        "none": .integer(verdicts.none),
                    ]),
                    "marked": .integer(verdicts.marked),
                    "oldest_age_ms": verdicts.oldestAge.map { .integer(Int(clamping: $0 / 1_000_000)) } ?? .null,
                    "sweeps_completed": .integer(pool.sweepsCompleted),
                    "sweep_probes": .integer(pool.probesStarted),
                    "shared_probes": .integer(pool.probesShared),
                    "skipped_marked": .integer(pool.skippedMarked),
                    "passive_hits": .integer(verdicts.passiveHits),
                ])
            }
        )
    }
}
