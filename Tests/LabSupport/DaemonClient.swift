import Foundation
import Glibc
public import ProbeProtocol

/// A blocking client of the daemon's Unix socket for tests: writes request lines, reads answer
/// lines, with timeouts. It speaks bytes, so tests can also send what no real client would.
public final class DaemonClient {
    public let path: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    public init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw LabError(.spawn, "socket: errno \(errno)") }
        let connected = withUnixSocketAddress(path) { connect(descriptor, $0, $1) }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            throw LabError(.spawn, "connect \(path): errno \(code)")
        }
    }

    deinit { close(descriptor) }

    /// Sends raw bytes (never raising SIGPIPE).
    ///
    /// - Returns: false when the daemon closed the connection before taking them all (EPIPE or
    ///   ECONNRESET), which some tests expect.
    @discardableResult
    public func send(bytes: [UInt8]) throws -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EPIPE || code == ECONNRESET { return false }
                throw LabError(.socket, "write to \(path) failed: errno \(code)")
            }
            offset += written
        }
        return true
    }

    /// Sends one line (a newline is added).
    public func send(_ line: String) throws {
        guard try send(bytes: Array((line + "\n").utf8)) else {
            throw LabError(.socket, "\(path) closed the connection before taking: \(line.prefix(200))")
        }
    }

    /// Sends one request as JSON.
    public func send(_ request: Request) throws {
        var bytes: [UInt8] = []
        request.encode(into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        guard try send(bytes: bytes) else { throw LabError(.socket, "\(path) closed the connection") }
    }

    /// Half-closes: no more requests.
    public func finishSending() { shutdown(descriptor, Int32(SHUT_WR)) }

    /// The next answer line, or nil when the daemon closed the connection.
    public func readLine(timeout: Duration = .seconds(10)) throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let left = deadline - .now
            guard left > .zero else { throw LabError(.timeout, "no answer line from \(path) within \(timeout)") }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&poller, 1, milliseconds) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(descriptor, &chunk, chunk.count)
            if count == 0 { return buffer.isEmpty ? nil : String(decoding: buffer, as: UTF8.self) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNRESET { return nil }
                throw LabError(.commandFailed, "read from \(path) failed: errno \(errno)")
            }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }

    /// The next answer as JSON.
    public func readJSON(timeout: Duration = .seconds(10)) throws -> JSONValue? {
        guard let line = try readLine(timeout: timeout) else { return nil }
        return try JSONParser.parse(Array(line.utf8))
    }

    /// Sends one line and reads one answer.
    public func ask(_ line: String, timeout: Duration = .seconds(10)) throws -> JSONValue {
        try send(line)
        guard let answer = try readJSON(timeout: timeout) else {
            throw LabError(.commandFailed, "the daemon closed the connection instead of answering \(line)")
        }
        return answer
    }

    /// Whether the daemon has closed the connection (reads to end of file within `timeout`).
    public func isClosedByPeer(timeout: Duration = .seconds(5)) throws -> Bool {
        while true {
            guard try readLine(timeout: timeout) != nil else { return true }
        }
    }
}

@available(*, unavailable)
extension DaemonClient: Sendable {}
