/// An echo taken from a send queue under the lock, sent outside it, and its result recorded under
/// it again (``EchoEngine/State/recordSends(_:now:)``).
struct PendingEcho {
    let event: ProbeEvent
    let attempt: Int
    /// 0 for IPv4, 1 for IPv6.
    let family: Int
    let target: EchoTarget
    let sequence: UInt16
    let token: UInt64
    let background: Bool
    var sentAt: UInt64 = 0
    var error: Int32 = 0
    var retried = false
    /// The interface to send an ARP probe or Neighbor Solicitation out of alongside the echo (an
    /// on-link target, a pacer token taken for it), or 0 for none.
    var solicitOn: UInt32 = 0
    /// That solicitation left.
    var solicited = false

    /// Notes the errno of a send that failed (0: it left on its retry) and when that was known.
    mutating func note(error: Int32, at time: UInt64) {
        self.error = error
        sentAt = time
    }
}
