package import ProbeProtocol

extension VerdictCache {
    /// One remembered verdict: a probe's or a client's `mark`.
    package struct Entry: Sendable, Hashable {
        /// `in_use` or `free` (an `unknown` verdict is never cached).
        package var state: VerdictState
        /// What the state rests on; ``Evidence/marked`` for a mark.
        package var evidence: Evidence
        /// The echo reply's round-trip time, in microseconds.
        package var rttMicroseconds: Int?
        /// The neighbour entry's link-layer address.
        package var mac: String?
        /// Any explanation that came with the verdict.
        package var reason: String?
        /// When the verdict was recorded (``MonotonicTime``, nanoseconds).
        package var recordedAt: UInt64
        /// When it stops being served (``MonotonicTime``, nanoseconds).
        package var expiresAt: UInt64
        /// Whether a client set it with `mark`: it then holds whatever a request's `max_age_ms` says,
        /// and a probe verdict does not replace it before it expires.
        package var isMark: Bool

        package init(
            state: VerdictState,
            evidence: Evidence,
            rttMicroseconds: Int? = nil,
            mac: String? = nil,
            reason: String? = nil,
            recordedAt: UInt64,
            expiresAt: UInt64,
            isMark: Bool = false
        ) {
            self.state = state
            self.evidence = evidence
            self.rttMicroseconds = rttMicroseconds
            self.mac = mac
            self.reason = reason
            self.recordedAt = recordedAt
            self.expiresAt = expiresAt
            self.isMark = isMark
        }

        /// How old the entry is at `now`, in nanoseconds (zero if `now` precedes it).
        @inline(__always)
        package func age(at now: UInt64) -> UInt64 {
            now > recordedAt ? now - recordedAt : 0
        }

        /// Whether the entry has expired at `now`.
        @inline(__always)
        package func isExpired(at now: UInt64) -> Bool {
            now >= expiresAt
        }

        /// The entry as a wire verdict about `address`, served from the cache (`cached: true`) with its age.
        package func verdict(for address: IPAddress, now: UInt64) -> Verdict {
            Verdict(
                addr: address,
                state: state,
                evidence: evidence,
                rttMicroseconds: rttMicroseconds,
                mac: mac,
                reason: reason,
                cached: true,
                ageMilliseconds: Int(clamping: age(at: now) / 1_000_000)
            )
        }

        /// The contents of a free slot.
        static let vacant = Entry(state: .free, evidence: .timeout, recordedAt: 0, expiresAt: 0)
    }
}
