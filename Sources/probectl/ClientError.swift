import Glibc

/// A failure of `probectl` itself or of its conversation with the daemon: the daemon cannot be
/// reached, closed the connection early, went silent, or sent something that is not protocol v1.
///
/// Its ``description`` is the message a person reads after `probectl: `; every such failure
/// exits with status 2.
struct ClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure it is.
    struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case cannotConnect = "cannot_connect"
            case connectionLost = "connection_lost"
            case timedOut = "timed_out"
            case protocolViolation = "protocol_violation"
            case refused
        }

        private let value: Value

        /// The socket cannot be opened or connected.
        static let cannotConnect = Code(value: .cannotConnect)
        /// Reading or writing failed, or the daemon closed the connection with answers owed.
        static let connectionLost = Code(value: .connectionLost)
        /// The daemon sent nothing for too long while answers were owed.
        static let timedOut = Code(value: .timedOut)
        /// An answer that cannot be matched to a request or is not protocol v1.
        static let protocolViolation = Code(value: .protocolViolation)
        /// The daemon refused the connection itself (an error answer without an id).
        static let refused = Code(value: .refused)

        var description: String { value.rawValue }
    }

    /// The kind of failure.
    let code: Code
    /// The message, without the `probectl: ` prefix.
    let message: String
    /// The daemon's answer line that caused it, exactly as received (without its line feed), for
    /// a refusal; `--json` prints it instead of the message.
    var answerLine: [UInt8]? = nil

    var description: String { message }

    /// The socket at `path` cannot be connected; `errno` decides the advice given.
    static func cannotConnect(path: String, errno code: Int32) -> ClientError {
        let reason =
            switch code {
            case ENOENT: "no such file (is probed running? set --socket or PROBED_SOCKET)"
            case EACCES, EPERM: "permission denied (is your user in the socket's group?)"
            case ECONNREFUSED: "connection refused (probed is not running)"
            case ENOTSOCK: "not a socket (set --socket or PROBED_SOCKET)"
            case EAGAIN: "the daemon's listen queue is full (try again)"
            default: Console.errnoText(code)
            }
        return ClientError(code: .cannotConnect, message: "cannot connect to \(path): \(reason)")
    }

    /// The socket path does not fit in `sockaddr_un`.
    static func pathTooLong(_ path: String, limit: Int) -> ClientError {
        ClientError(
            code: .cannotConnect,
            message: "cannot connect to \(path): the path is longer than \(limit) bytes"
        )
    }

    /// A system call on the connection failed.
    static func connectionLost(path: String, _ operation: String, errno code: Int32) -> ClientError {
        ClientError(code: .connectionLost, message: "\(path): \(operation) failed: \(Console.errnoText(code))")
    }

    /// The daemon closed the connection while `unanswered` requests still waited for an answer.
    static func closedEarly(path: String, unanswered: Int) -> ClientError {
        let requests = unanswered == 1 ? "1 request" : "\(unanswered) requests"
        return ClientError(
            code: .connectionLost,
            message: "probed at \(path) closed the connection with \(requests) unanswered"
        )
    }

    /// No byte came from the daemon for `seconds` while answers were owed.
    static func timedOut(path: String, seconds: Int, unanswered: Int) -> ClientError {
        ClientError(
            code: .timedOut,
            message: "probed at \(path) sent nothing for \(seconds) s "
                + "(\(Format.plural(unanswered, "answer", "answers")) outstanding)"
        )
    }

    /// An answer line that breaks the protocol.
    static func protocolViolation(_ message: String) -> ClientError {
        ClientError(code: .protocolViolation, message: "unexpected answer from probed: \(message)")
    }

    /// An error answer that belongs to no request: the daemon refused the connection as a whole
    /// (for example `overloaded` when it serves `limits.max_connections` already).
    static func refused(path: String, code: String, message: String, line: [UInt8]? = nil) -> ClientError {
        ClientError(code: .refused, message: "probed at \(path) refused the connection: \(code): \(message)", answerLine: line)
    }
}
