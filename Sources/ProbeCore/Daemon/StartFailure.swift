import Glibc
import ProbeConfig
import ProbeProtocol

/// A start of the daemon that failed, with the exit status that tells systemd whether trying again
/// can help (docs/operations.md, "Exit statuses").
///
/// A configuration error exits 78 (`EX_CONFIG`) and missing ICMP access 77 (`EX_NOPERM`): the shipped
/// unit lists both in `RestartPreventExitStatus=`, so such a start is tried once, not in a loop. Any
/// other failure exits 1 and is restarted (`Restart=on-failure`), as a crash or a watchdog kill is.
package struct StartFailure: Error, Sendable, CustomStringConvertible {
    /// Why the start failed, as far as a restart is concerned.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case configuration
            case noICMPAccess = "no_icmp_access"
            case other
        }

        private let value: Value

        /// The configuration file (or a command-line override) is invalid: exit 78, `EX_CONFIG`.
        package static let configuration = Code(value: .configuration)
        /// Neither a ping socket nor a raw ICMP socket can be opened: exit 77, `EX_NOPERM`.
        package static let noICMPAccess = Code(value: .noICMPAccess)
        /// Anything else (a socket path in use, a transient system error): exit 1, restarted.
        package static let other = Code(value: .other)

        /// The process's exit status for this kind of failure.
        package var exitStatus: Int32 {
            switch value {
            case .configuration: 78
            case .noICMPAccess: 77
            case .other: 1
            }
        }

        package var description: String { value.rawValue }
    }

    package var code: Code
    /// What failed, for the log.
    package var message: String

    package var description: String { message }

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// Classifies an error thrown while loading the configuration or starting the daemon.
    package init(_ error: any Error) {
        switch error {
        case let failure as StartFailure:
            self = failure
        case let error as ConfigurationError:
            self.init(code: .configuration, message: "invalid configuration: \(error)")
        case let error as EchoSocketError where error.code == .noPermission:
            self.init(code: .noICMPAccess, message: error.message)
        default:
            self.init(code: .other, message: "\(error)")
        }
    }

    /// Whether the process runs as a systemd service (`INVOCATION_ID` is set by systemd).
    package static var underSystemd: Bool { getenv("INVOCATION_ID") != nil }

    /// What an operator should do, in one sentence (empty for ``Code/other``, which systemd retries).
    package var remedy: String {
        let restart =
            Self.underSystemd
            ? "; then: systemctl reset-failed probed.service probed.socket; systemctl restart probed.socket probed.service"
            : ""
        switch code {
        case .configuration:
            return "exit status 78 (EX_CONFIG), not restarted automatically: correct the file "
                + "(probed --check-config names the key and line)" + restart
        case .noICMPAccess:
            return "exit status 77 (EX_NOPERM), not restarted automatically: grant CAP_NET_RAW "
                + "(the shipped probed.service does; remove a drop-in that takes it away) or widen "
                + "net.ipv4.ping_group_range (see /usr/share/doc/probed/examples/README)" + restart
        default:
            return ""
        }
    }

    /// The one line for the log and the error answer: the message, then the remedy.
    package var line: String {
        remedy.isEmpty ? "probed cannot run: \(message)" : "probed cannot run: \(message). \(remedy)"
    }

    /// The `STATUS=` line systemd shows (`systemctl status probed`).
    package var status: String {
        code == .other ? "failed: \(message)" : "failed (exit \(code.exitStatus)): \(message)"
    }

    /// Answers every connection already waiting on the inherited listening sockets with one error
    /// line (`unavailable`, the reason and the remedy) and closes it, without waiting for more.
    ///
    /// Under socket activation a client that connected and is left unanswered keeps the socket
    /// readable, and systemd starts the service again for it at once, until its start limit fails
    /// the socket too. Answering the waiting clients stops that: a broken configuration costs one
    /// start per client that connects, and the client learns why.
    ///
    /// - Returns: how many connections were answered.
    @discardableResult
    package func answerWaitingClients(on descriptors: [Int32]) -> Int {
        let line = Response.error(.unavailable(self.line), id: .null).encoded()
        var answered = 0
        for descriptor in descriptors {
            let flags = fcntl(descriptor, F_GETFL)
            guard flags >= 0, fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) == 0 else { continue }
            defer { _ = fcntl(descriptor, F_SETFL, flags) }
            // At most 1,024 a socket: bounded, and far more than a listen queue usually holds.
            for _ in 0..<1024 {
                let connection = accept(descriptor, nil, nil)
                if connection < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    break
                }
                _ = line.withUnsafeBytes {
                    send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                }
                close(connection)
                answered += 1
            }
        }
        return answered
    }
}
