/// An error answer of the wire protocol: a code from a fixed list and a human-readable message.
///
/// `{"id":11,"ok":false,"error":{"code":"not_allowed","message":"203.0.113.9 is outside the allowed prefixes"}}`
public struct ProbeError: Error, Hashable, Sendable {
    /// The machine-readable error code, as written on the wire.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// Not JSON, a missing or ill-typed field, a bad address, a value out of range, an unknown op.
        public static let badRequest = Code(rawValue: "bad_request")
        /// An address outside `policy.allow`, unspecified, multicast or limited broadcast; or a peer
        /// refused by its credentials.
        public static let notAllowed = Code(rawValue: "not_allowed")
        /// A limit reached: in-flight probes, per-connection pending requests, connections.
        public static let overloaded = Code(rawValue: "overloaded")
        /// A line over `limits.max_line_bytes`; the connection is closed after this answer.
        public static let tooLarge = Code(rawValue: "too_large")
        /// The address family is not available, or the daemon is shutting down.
        public static let unavailable = Code(rawValue: "unavailable")
        /// A bug or an unexpected failure inside the daemon.
        public static let `internal` = Code(rawValue: "internal")

        /// Every code of protocol version 1.
        public static let allCases: [Code] = [
            .badRequest, .notAllowed, .overloaded, .tooLarge, .unavailable, .internal,
        ]
    }

    /// The error code.
    public var code: Code
    /// What went wrong, for people; it names the offending field or address.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// A `bad_request` error.
    public static func badRequest(_ message: String) -> ProbeError { ProbeError(code: .badRequest, message: message) }
    /// A `not_allowed` error.
    public static func notAllowed(_ message: String) -> ProbeError { ProbeError(code: .notAllowed, message: message) }
    /// An `overloaded` error.
    public static func overloaded(_ message: String) -> ProbeError { ProbeError(code: .overloaded, message: message) }
    /// A `too_large` error.
    public static func tooLarge(_ message: String) -> ProbeError { ProbeError(code: .tooLarge, message: message) }
    /// An `unavailable` error.
    public static func unavailable(_ message: String) -> ProbeError { ProbeError(code: .unavailable, message: message) }
    /// An `internal` error.
    public static func `internal`(_ message: String) -> ProbeError { ProbeError(code: .internal, message: message) }
}

extension ProbeError.Code: CustomStringConvertible {
    public var description: String { rawValue }
}

extension ProbeError: CustomStringConvertible {
    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
