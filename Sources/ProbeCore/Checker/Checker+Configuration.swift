package import ProbeProtocol

extension Checker {
    /// What the checker needs of the daemon's configuration (`policy`, `probe`, `cache`).
    package struct Configuration: Sendable, Hashable {
        /// `policy.allow`: the prefixes whose addresses may be checked, picked and marked.
        package var allow: [IPPrefix]
        /// `probe.timeout_ms`: the deadline of a request that gives none, in milliseconds.
        package var timeoutMilliseconds: Int
        /// `probe.attempts`: the echo requests of a request that gives none.
        package var attempts: Int
        /// `cache.in_use_ttl_s`: how long an `in_use` verdict is served from the cache, in seconds.
        package var inUseTTLSeconds: Int
        /// `cache.free_ttl_s`: how long a `free` verdict is served from the cache, in seconds.
        package var freeTTLSeconds: Int
        /// `cache.max_entries`: verdicts kept at most.
        package var maxEntries: Int

        /// A configuration; the defaults are those of `probed.yaml` (config/probed.yaml).
        package init(
            allow: [IPPrefix],
            timeoutMilliseconds: Int = 300,
            attempts: Int = 2,
            inUseTTLSeconds: Int = 60,
            freeTTLSeconds: Int = 10,
            maxEntries: Int = 200_000
        ) {
            self.allow = allow
            self.timeoutMilliseconds = timeoutMilliseconds
            self.attempts = attempts
            self.inUseTTLSeconds = inUseTTLSeconds
            self.freeTTLSeconds = freeTTLSeconds
            self.maxEntries = maxEntries
        }

        /// ``inUseTTLSeconds`` in nanoseconds.
        var inUseTTL: UInt64 { Self.nanoseconds(seconds: inUseTTLSeconds) }
        /// ``freeTTLSeconds`` in nanoseconds.
        var freeTTL: UInt64 { Self.nanoseconds(seconds: freeTTLSeconds) }

        /// A fresh cache with these TTLs and bound.
        func makeCache() -> VerdictCache {
            VerdictCache(inUseTTL: inUseTTL, freeTTL: freeTTL, maxEntries: maxEntries)
        }

        /// `seconds` in nanoseconds, negative as zero, saturating.
        static func nanoseconds(seconds: Int) -> UInt64 {
            let (product, overflow) = UInt64(max(0, seconds)).multipliedReportingOverflow(by: 1_000_000_000)
            return overflow ? .max : product
        }

        /// `milliseconds` in nanoseconds, negative as zero, saturating.
        static func nanoseconds(milliseconds: Int) -> UInt64 {
            let (product, overflow) = UInt64(max(0, milliseconds)).multipliedReportingOverflow(by: 1_000_000)
            return overflow ? .max : product
        }
    }
}
