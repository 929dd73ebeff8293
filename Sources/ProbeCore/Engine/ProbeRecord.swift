import ProbeProtocol

/// One live probe inside the engine: everything needed to send its echoes, match its replies and
/// decide at its deadline.
///
/// Plain data, without references (the completion and a link-local target's zone are kept beside
/// the records, by slot): the loop reads records by the thousand when a burst's deadlines come,
/// and a copy of one is then a copy of bytes, with no reference counts to touch.
struct ProbeRecord {
    let id: UInt64
    let token: UInt64
    let startedAt: UInt64
    let deadline: UInt64
    /// The caller's number for the probe (``ProbeStart/tag``).
    let tag: UInt64
    let target: EchoTarget
    let sequence: UInt16
    var lastSendError: Int32 = 0
    private let attemptCount: UInt8
    private var echoCount: UInt8 = 0
    /// A pool sweep's probe: its echoes yield to on-demand ones.
    let background: Bool
    /// The target is on a directly connected link: the probe holds a neighbour-table entry.
    var onLink = false
    var sentInTime = false
    /// The target is an IPv6 address with a zone (kept by the engine beside the record).
    let zoned: Bool

    init(
        id: UInt64, address: IPAddress, target: EchoTarget, sequence: UInt16, token: UInt64, startedAt: UInt64,
        deadline: UInt64, attempts: Int, background: Bool, tag: UInt64 = 0
    ) {
        self.tag = tag
        self.id = id
        self.token = token
        self.startedAt = startedAt
        self.deadline = deadline
        self.target = target
        self.sequence = sequence
        self.attemptCount = UInt8(clamping: attempts)
        self.background = background
        if case .v6(let v6) = address { zoned = v6.zone != nil } else { zoned = false }
    }

    /// The address probed, as the caller gave it (`zone`: the one it was given with, if ``zoned``).
    func address(zone: String?) -> IPAddress {
        switch target.family {
        case .ipv4: .v4(IPv4Address(UInt32(truncatingIfNeeded: target.low)))
        case .ipv6: .v6(IPv6Address(high: target.high, low: target.low, zone: zone))
        }
    }

    var family: EchoFamily { target.family }
    /// Silence means `free` only if an echo left by this time (half the deadline still to run).
    var sendBy: UInt64 { startedAt + (deadline - startedAt) / 2 }
    /// Between one echo and the next: the deadline split evenly.
    var interval: UInt64 { (deadline - startedAt) / UInt64(attemptCount) }
    /// Echo requests to send (at most 255).
    var attempts: Int { Int(attemptCount) }
    /// Echo requests sent so far.
    var echoesSent: Int { Int(echoCount) }

    mutating func countEcho() { echoCount &+= 1 }
}

/// Where a probe's outcome goes: called once, on the engine's loop thread (or on the caller's
/// thread when the probe is refused at once). It must not block.
package typealias ProbeCompletion = @Sendable (ProbeOutcome) -> Void

extension ProbeRecord {
    /// Whether an echo reply belongs to this probe: the sequence number brought it here; the
    /// token must be this probe's, the source its target, and on a raw socket the identifier ours
    /// (a ping socket's kernel already filtered by identifier).
    func accepts(_ echo: EchoPacket.Echo, from source: EchoTarget?, socketKind: EchoSocket.Kind, socketIdentifier: UInt16) -> Bool {
        guard echo.sequence == sequence, echo.token == token else { return false }
        guard socketKind == .dgram || echo.identifier == socketIdentifier else { return false }
        guard let source else { return false }
        return target.matches(source: source)
    }
}

/// An entry of the engine's timer heap or send queue, valid while the probe `id` holds `slot`.
struct ProbeEvent: Sendable {
    enum Kind: Sendable {
        case send(attempt: UInt8)
        case deadline
        /// A solicitation was answered and no echo reply came in the grace after it
        /// (EchoEngine+Solicitation.swift).
        case answered
    }
    // In this order, 16 bytes (the timer heap holds one or two for every probe in flight).
    let slot: Int32
    let kind: Kind
    let id: UInt64

    init(slot: Int32, id: UInt64, kind: Kind) {
        self.slot = slot
        self.kind = kind
        self.id = id
    }
}
