import Foundation
import Glibc
import ProbeProtocol
import Synchronization

/// A Unix stream socket server on a fresh path in /tmp that serves one connection on its own
/// thread, as a test scripts it; for testing ``DaemonConnection`` without a daemon.
final class ScriptedServer: Sendable {
    /// The socket path.
    let path: String
    /// What the script noted, for the test to read after the exchange.
    let notebook = Notebook()
    private let listener: Int32

    /// Binds and listens, then runs `script` on a new thread with the first accepted connection.
    init(_ script: @escaping @Sendable (ServerSide) -> Void) throws {
        path = "/tmp/probectl-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        listener = try Self.bind(path, listen: true)
        let listener = self.listener
        let path = self.path
        let notebook = self.notebook
        Thread {
            let connection = accept(listener, nil, nil)
            close(listener)
            unlink(path)
            guard connection >= 0 else { return }
            let side = ServerSide(descriptor: connection, notebook: notebook)
            script(side)
            close(connection)
        }.start()
    }

    deinit {
        // Normally gone already (unlinked once accepted); not when the test never connected.
        unlink(path)
    }

    /// Creates a Unix socket bound to `path`, listening or not (a stale socket).
    static func bind(_ path: String, listen shouldListen: Bool) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0, !shouldListen || listen(fd, 8) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        return fd
    }
}

/// Numbers a server script records for the test: the largest recorded under each key.
final class Notebook: Sendable {
    private let values = Mutex<[String: Int]>([:])

    /// Records `value` under `key`, keeping the largest.
    func note(_ key: String, _ value: Int) {
        values.withLock { $0[key] = max($0[key] ?? value, value) }
    }

    /// The largest value recorded under `key`.
    func value(_ key: String) -> Int? {
        values.withLock { $0[key] }
    }
}

/// The server's end of the connection, used on the server thread only.
final class ServerSide {
    /// Where the script records what it saw.
    let notebook: Notebook
    private let descriptor: Int32
    private var framer = LineFramer(maxLineLength: 1 << 16)
    /// Requests received and decoded but not yet taken.
    private var received: [Request] = []
    /// Lines that did not decode as requests.
    private(set) var malformed = 0

    init(descriptor: Int32, notebook: Notebook) {
        self.descriptor = descriptor
        self.notebook = notebook
    }

    /// Waits until `count` requests are at hand and takes them (fewer when the client closes).
    func take(_ count: Int) -> [Request] {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while received.count < count {
            drainFramer()
            if received.count >= count { break }
            let length = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if length <= 0 { break }
            framer.append(chunk[0..<length])
        }
        drainFramer()
        let taken = Array(received.prefix(count))
        received.removeFirst(taken.count)
        return taken
    }

    /// Requests that arrived beyond those taken (as far as they have been read).
    var surplus: Int {
        drainFramer()
        return received.count
    }

    /// Waits until the client closes its end.
    func waitForClose() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Sends answers, one line each; the last without its line feed when `terminated` is false.
    func send(_ responses: [Response], terminated: Bool = true) {
        var bytes: [UInt8] = []
        for (position, response) in responses.enumerated() {
            response.encode(into: &bytes)
            if terminated || position < responses.count - 1 { bytes.append(UInt8(ascii: "\n")) }
        }
        send(bytes: bytes)
    }

    private func send(bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.send(
                    descriptor,
                    buffer.baseAddress! + offset,
                    buffer.count - offset,
                    Int32(MSG_NOSIGNAL)
                )
                if written <= 0 { return }
                offset += written
            }
        }
    }

    private func drainFramer() {
        while let event = framer.next() {
            guard case .line(let line) = event, case .success(let request) = Request.decode(line) else {
                malformed += 1
                continue
            }
            received.append(request)
        }
    }
}

extension Request {
    /// The verdict `free`/`timeout` about the address of a check, under the request's id.
    var freeVerdict: Response {
        guard case .check(let check) = operation else { return .error(.badRequest("not a check"), id: ResponseID(id)) }
        return .verdict(Verdict(addr: check.addr, state: .free, evidence: .timeout), id: ResponseID(id))
    }
}
