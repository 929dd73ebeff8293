package import ProbeProtocol

/// The checker's counters since start, and its current figures (the checker's part of `stats`).
package struct CheckerStatistics: Sendable, Hashable {
    /// Round-trip time percentiles of echo replies, in microseconds (see ``RTTHistogram`` for the
    /// precision: each is the upper bound of its bucket, capped at the maximum, at most 12.5 % high).
    package struct RoundTrip: Sendable, Hashable {
        /// Echo replies measured.
        package var count: UInt64
        package var p50: Int
        package var p90: Int
        package var p99: Int
        /// The largest round-trip time seen.
        package var maximum: Int
    }

    /// `check` requests.
    package var checks: UInt64 = 0
    /// `pick` requests.
    package var picks: UInt64 = 0
    /// `mark` requests.
    package var marks: UInt64 = 0
    /// `forget` requests.
    package var forgets: UInt64 = 0
    /// Addresses answered from the cache (one per candidate of a `pick`).
    package var cacheHits: UInt64 = 0
    /// Addresses that joined a probe already in flight instead of starting one.
    package var coalesced: UInt64 = 0
    /// Probes handed to the engine.
    package var probesStarted: UInt64 = 0
    /// Probes that ended with a verdict, by state and evidence (a probe the engine refused is not
    /// a verdict).
    package var verdicts = VerdictTally()
    /// `check` answers that were verdicts, by state and evidence (from the cache, a shared probe
    /// or a probe of their own alike).
    package var answers = VerdictTally()
    /// Probes the engine refused, by error code (`overloaded`, `unavailable`).
    package var probeErrors: [ProbeError.Code: UInt64] = [:]
    /// Requests answered with an error, by code (`not_allowed`, `overloaded`, `unavailable`, `bad_request`).
    package var errors: [ProbeError.Code: UInt64] = [:]
    /// Entries in the verdict cache now (expired entries not yet swept included).
    package var cacheEntries = 0
    /// Cache entries evicted to stay within `cache.max_entries`.
    package var cacheEvictions: UInt64 = 0
    /// Cache entries dropped because they had expired.
    package var cacheExpirations: UInt64 = 0
    /// Addresses being probed now (each shared by all the requests waiting on it).
    package var inFlight = 0
    /// Requests waiting now for a probe's verdict.
    package var waiting = 0
    /// Round-trip times of echo replies; `nil` before the first.
    package var roundTrip: RoundTrip?

    package init() {}

    /// A kind of verdict answered to a `check`.
    package struct Answer: Hashable, Sendable {
        package var state: VerdictState
        package var evidence: Evidence

        package init(state: VerdictState, evidence: Evidence) {
            self.state = state
            self.evidence = evidence
        }
    }
}
