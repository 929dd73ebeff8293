package import ProbeProtocol

/// What one probe of one address found out.
///
/// The engine never says ``Result/free`` about an address it did not really ask: at least one echo
/// request left the socket with at least half of the deadline still to run.
package struct ProbeOutcome: Sendable, Hashable {
    /// The verdict of a probe.
    package enum Result: Sendable, Hashable {
        /// A valid echo reply arrived; `rttMicroseconds` is measured from the echo it answered.
        case reply(rttMicroseconds: Int)
        /// An on-link neighbour entry confirmed the host during the probe (no echo reply).
        case neighbor(mac: String)
        /// The deadline passed with no reply, after at least one echo was sent in time.
        case timeout
        /// ICMP destination unreachable (or EHOSTUNREACH) for the target: a hint that it is free.
        case unreachable
        /// A send failed for a reason other than "host unreachable" (no route, prohibited, no buffers).
        case sendFailed(reason: String)
        /// No echo left the socket early enough to trust silence (pacing, backlog, shutdown).
        case notSent(reason: String)
        /// The engine refused the probe: no sequence number or in-flight slot free.
        case overloaded
        /// The address family has no socket open.
        case unavailable(reason: String)
    }

    package var target: IPAddress
    package var result: Result
    /// Echo requests that really left the socket for this probe.
    package var echoesSent: Int
    /// Monotonic time at which the probe began, in nanoseconds.
    package var startedAt: UInt64
    /// The caller's number for the probe (``ProbeStart/tag``).
    package var tag: UInt64

    package init(target: IPAddress, result: Result, echoesSent: Int, startedAt: UInt64, tag: UInt64 = 0) {
        self.target = target
        self.result = result
        self.echoesSent = echoesSent
        self.startedAt = startedAt
        self.tag = tag
    }
}
