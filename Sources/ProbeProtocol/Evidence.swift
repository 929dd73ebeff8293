/// What a verdict rests on.
///
/// In use: ``echoReply``, ``neighbor``, ``marked``. Free: ``timeout``, ``unreachable``, ``marked``.
/// Unknown: ``sendFailed``, ``notSent``.
public enum Evidence: String, Hashable, Sendable, CaseIterable {
    /// An echo reply came from the address.
    case echoReply = "echo_reply"
    /// The kernel's neighbour table holds a confirmed link-layer address for it.
    case neighbor
    /// A client marked it (`mark`).
    case marked
    /// No reply by the deadline, after at least one echo left in time.
    case timeout
    /// ICMP destination unreachable (or EHOSTUNREACH) for the address.
    case unreachable
    /// A send failed for another reason (no route, prohibited, no buffers).
    case sendFailed = "send_failed"
    /// No echo left early enough to trust silence.
    case notSent = "not_sent"
}

extension Evidence {
    /// `,"evidence":"…"` as a literal, for the encoders.
    var evidenceMember: StaticString {
        switch self {
        case .echoReply: #","evidence":"echo_reply""#
        case .neighbor: #","evidence":"neighbor""#
        case .marked: #","evidence":"marked""#
        case .timeout: #","evidence":"timeout""#
        case .unreachable: #","evidence":"unreachable""#
        case .sendFailed: #","evidence":"send_failed""#
        case .notSent: #","evidence":"not_sent""#
        }
    }
}
