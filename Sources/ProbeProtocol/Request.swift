/// One request of wire protocol v1: an optional `id` and an operation with its fields.
///
/// The daemon reads requests with ``decode(_:)``; a client writes them with ``encode(into:)``.
public struct Request: Hashable, Sendable {
    /// What the client asks for.
    public enum Operation: Hashable, Sendable {
        /// `check`: is this address in use?
        case check(CheckRequest)
        /// `pick`: the first free address among candidates.
        case pick(PickRequest)
        /// `mark`: record an address as in use or free.
        case mark(MarkRequest)
        /// `forget`: drop cache entries.
        case forget(ForgetRequest)
        /// `stats`: the daemon's counters.
        case stats
        /// `info`: the daemon's version and capabilities.
        case info

        /// The `op` name.
        public var kind: OperationKind {
            switch self {
            case .check: .check
            case .pick: .pick
            case .mark: .mark
            case .forget: .forget
            case .stats: .stats
            case .info: .info
            }
        }
    }

    /// The client's id, echoed in the answer; `nil` when the request had none.
    public var id: RequestID?
    /// The operation and its fields.
    public var operation: Operation

    public init(id: RequestID? = nil, operation: Operation) {
        self.id = id
        self.operation = operation
    }
}

extension Request {
    /// The ranges the protocol accepts for numeric fields.
    ///
    /// Durations are capped at 365 days, so that a daemon can turn them into nanoseconds in an
    /// `Int64` without overflow.
    public enum Limits {
        /// `timeout_ms`: 1–10000.
        public static let timeoutMilliseconds: ClosedRange<Int> = 1...10_000
        /// `attempts`: 1–10.
        public static let attempts: ClosedRange<Int> = 1...10
        /// `max_age_ms`: 0 to 365 days.
        public static let maxAgeMilliseconds: ClosedRange<Int> = 0...31_536_000_000
        /// `ttl_ms`: 1 ms to 365 days.
        public static let ttlMilliseconds: ClosedRange<Int> = 1...31_536_000_000
        /// `addrs` of a `pick`: 1–64 candidates.
        public static let pickCandidates: ClosedRange<Int> = 1...64
    }
}
