/// The answer about one address: in use, free, or "could not tell".
public enum VerdictState: String, Hashable, Sendable, CaseIterable {
    case inUse = "in_use"
    case free
    case unknown
}

extension VerdictState {
    /// `,"state":"…"` as a literal, for the encoders.
    var stateMember: StaticString {
        switch self {
        case .inUse: #","state":"in_use""#
        case .free: #","state":"free""#
        case .unknown: #","state":"unknown""#
        }
    }
}
