import Foundation
import Glibc
import Synchronization

/// A `NOTIFY_SOCKET` owned by a test: a Unix datagram socket that receives what the daemon tells
/// systemd (`READY=1`, `STATUS=…`, `WATCHDOG=1`, …), with the time each message arrived.
public final class NotifySocket: Sendable {
    /// One datagram from the daemon.
    public struct Message: Sendable, Hashable {
        /// The `KEY=VALUE` lines of the datagram.
        public var fields: [String: String]
        /// The raw text.
        public var text: String
        /// When it arrived (monotonic).
        public var receivedAt: ContinuousClock.Instant
    }

    /// The socket's path: pass it as `NOTIFY_SOCKET`.
    public let path: String
    private let descriptor: Int32
    private let state = Mutex<(messages: [Message], cursor: Int)>(([], 0))

    public init() throws {
        path = "/tmp/probed-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw LabError(.spawn, "cannot create the notify socket: errno \(errno)") }
        let bound = withUnixSocketAddress(path) { bind(descriptor, $0, $1) }
        guard bound == 0 else {
            close(descriptor)
            throw LabError(.spawn, "cannot bind the notify socket at \(path): errno \(errno)")
        }
        // A daemon started under another uid must be able to send to it too.
        chmod(path, 0o777)
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// Reads datagrams for up to `timeout`, appending them to the history.
    private func receive(timeout: Duration) {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, max(0, milliseconds)) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard count > 0 else { return }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            let message = Message(fields: fields, text: text, receivedAt: .now)
            state.withLock { $0.messages.append(message) }
        }
    }

    /// Waits for the next unconsumed message that has `key` (optionally with `value`); messages
    /// before it are consumed too.
    public func next(_ key: String, value: String? = nil, timeout: Duration = .seconds(10)) throws -> Message {
        let deadline = ContinuousClock.now + timeout
        while true {
            let found = state.withLock { state -> Message? in
                while state.cursor < state.messages.count {
                    let message = state.messages[state.cursor]
                    state.cursor += 1
                    if let field = message.fields[key], value == nil || field == value { return message }
                }
                return nil
            }
            if let found { return found }
            let left = deadline - .now
            guard left > .zero else {
                let seen = state.withLock { $0.messages.map(\.text) }
                throw LabError(.timeout, "no \(key)\(value.map { "=\($0)" } ?? "") from the daemon within \(timeout); received: \(seen)")
            }
            receive(timeout: min(left, .milliseconds(100)))
        }
    }

    /// Every message received so far (after reading what is queued now).
    public func drain() -> [Message] {
        receive(timeout: .zero)
        return state.withLock { $0.messages }
    }
}
