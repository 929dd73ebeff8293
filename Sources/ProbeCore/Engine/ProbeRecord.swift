import ProbeProtocol

/// One live probe inside the engine: everything needed to send its echoes, match its replies and
/// decide at its deadline.
struct ProbeRecord {
    let id: UInt64
    let address: IPAddress
    let target: EchoTarget
    let family: EchoFamily
    let sequence: UInt16
    let token: UInt64
    let startedAt: UInt64
    let deadline: UInt64
    /// Silence means `free` only if an echo left by this time (half the deadline still to run).
    let sendBy: UInt64
    let interval: UInt64
    let attempts: Int
    /// A pool sweep's probe: its echoes yield to on-demand ones.
    let background: Bool
    /// The target is on a directly connected link: the probe holds a neighbour-table entry.
    var onLink = false
    var echoesSent = 0
    var sentInTime = false
    var lastSendError: Int32 = 0
    /// Set once the caller is waiting; until then the probe is reserved but not scheduled.
    var completion: ProbeCompletion?
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
    enum Kind: Sendable { case send(attempt: Int), deadline }
    let slot: Int32
    let id: UInt64
    let kind: Kind
}
