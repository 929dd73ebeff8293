/// Counters of the echo engine since it started.
package struct EchoStatistics: Sendable, Hashable {
    /// Probes accepted (not refused as overloaded).
    package var probes = 0
    /// Echo requests that left a socket.
    package var echoesSent = 0
    /// Probes ended by a valid echo reply.
    package var replies = 0
    /// Probes ended by their deadline after an echo went out in time.
    package var timeouts = 0
    /// Probes ended by ICMP unreachable or EHOSTUNREACH.
    package var unreachables = 0
    /// Probes ended by a send error.
    package var sendFailures = 0
    /// Probes that could not send in time (pacing, backlog, shutdown, cancellation).
    package var notSent = 0
    /// Probes refused: no sequence number or in-flight slot.
    package var overloaded = 0
    /// Replies that matched no live probe: late, duplicate, foreign, forged or malformed.
    package var ignoredReplies = 0
    /// Sends retried because a pending socket error surfaced on them.
    package var retriedSends = 0
    /// Datagrams the kernel dropped for lack of receive buffer space (all sockets).
    package var receiveDrops = 0
    /// Probes ended by a confirmed neighbour entry (a host that drops echo).
    package var neighborConfirmations = 0
    /// Neighbour-table reads that failed (the deadline then decides alone).
    package var neighborErrors = 0
    /// ARP probes and Neighbor Solicitations sent.
    package var solicitationsSent = 0
    /// Probes whose solicitation was answered (by ARP, or a Neighbor Advertisement): each ends
    /// `neighbor` (counted in ``neighborConfirmations`` too) unless an echo reply comes first.
    package var solicitationAnswers = 0
    /// Probes in flight now.
    package var inFlight = 0
    /// Of those, probes of targets on a directly connected link.
    package var onLinkInFlight = 0

    package init() {}
}
