import Glibc
import ProbeProtocol

/// A client connection to probed's Unix stream socket (wire protocol v1, JSON lines).
///
/// Blocking from the caller's point of view, but the descriptor is non-blocking and driven by
/// `poll(2)`, so that requests are written while answers are read: many requests can be in
/// flight on one connection (see ``exchange(_:window:handle:)``). One command uses one
/// connection from one thread; the type is not `Sendable` on purpose.
final class DaemonConnection {
    /// The longest answer line accepted, in bytes.
    static let maxAnswerLength = 16 << 20

    /// The socket path, for messages.
    let path: String
    /// The connected socket.
    private let descriptor: Int32
    /// How long the daemon may stay silent while answers are owed before the exchange fails.
    var idleTimeout: Duration = .seconds(30)

    /// Connects to the socket at `path`.
    ///
    /// - Throws: ``ClientError`` with a message that names the path and, for the usual causes
    ///   (no such file, permission denied, connection refused), says what to do.
    init(path: String) throws(ClientError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let pathBytes = Array(path.utf8)
        guard !pathBytes.isEmpty, pathBytes.count < capacity, !pathBytes.contains(0) else {
            throw .pathTooLong(path, limit: capacity - 1)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .cannotConnect(path: path, errno: errno) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            var code = errno
            close(fd)
            // Linux answers ECONNREFUSED for a path that is not a socket at all.
            if code == ECONNREFUSED, !Self.isSocket(path) { code = ENOTSOCK }
            throw .cannotConnect(path: path, errno: code)
        }
        let flags = fcntl(fd, F_GETFL)
        if flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 {
            let code = errno
            close(fd)
            throw .connectionLost(path: path, "fcntl", errno: code)
        }
        self.path = path
        self.descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    /// Sends one request and waits for its answer.
    func send(_ operation: Request.Operation) throws(ClientError) -> DaemonAnswer {
        var answer: DaemonAnswer?
        try exchange(CollectionOfOne(operation), window: 1) { answer = $0 }
        guard let answer else { throw .protocolViolation("no answer") }
        return answer
    }

    /// Sends `operations` as requests with the ids 1, 2, 3, … and hands every answer to `handle`
    /// as it arrives (in any order), keeping at most `window` requests unanswered at a time.
    ///
    /// Returns once every request is answered. The operations are pulled lazily, so a sequence
    /// of 65,536 checks costs no more memory than the window.
    ///
    /// - Throws: ``ClientError`` when the connection fails, the daemon closes it or stays silent
    ///   for ``idleTimeout`` while answers are owed, or an answer cannot be matched to a request.
    ///   Error answers of the daemon (`{"ok":false,…}`) are answers, handed to `handle`.
    func exchange(
        _ operations: some Sequence<Request.Operation>,
        window: Int,
        handle: (DaemonAnswer) -> Void
    ) throws(ClientError) {
        precondition(window > 0, "the window must be positive")
        var upcoming = operations.makeIterator()
        var exhausted = false
        var ledger = RequestLedger()
        var output: [UInt8] = []
        var outputOffset = 0
        var framer = LineFramer(maxLineLength: Self.maxAnswerLength)
        var inbound = [UInt8](repeating: 0, count: 1 << 16)
        let clock = ContinuousClock()
        var lastHeard = clock.now

        while true {
            while !exhausted, ledger.outstanding < window, output.count - outputOffset < 1 << 16 {
                guard let operation = upcoming.next() else {
                    exhausted = true
                    break
                }
                let id = ledger.register(operation.kind)
                Request(id: .number(Int64(id)), operation: operation).encode(into: &output)
                output.append(UInt8(ascii: "\n"))
            }
            if exhausted, ledger.outstanding == 0 { return }

            let remaining = lastHeard + idleTimeout - clock.now
            guard remaining > .zero else {
                throw .timedOut(
                    path: path,
                    seconds: Int(idleTimeout.components.seconds),
                    unanswered: ledger.outstanding
                )
            }
            let wantsWrite = outputOffset < output.count
            var poller = pollfd(
                fd: descriptor,
                events: Int16(POLLIN) | (wantsWrite ? Int16(POLLOUT) : 0),
                revents: 0
            )
            let ready = poll(&poller, 1, Self.pollMilliseconds(remaining))
            if ready < 0 {
                if errno == EINTR { continue }
                throw .connectionLost(path: path, "poll", errno: errno)
            }
            if ready == 0 { continue }

            if poller.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let count = inbound.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    lastHeard = clock.now
                    framer.append(inbound[0..<count])
                    while let event = framer.next() {
                        try deliver(event, ledger: &ledger, handle: handle)
                    }
                } else if count == 0 || errno == ECONNRESET {
                    if let event = framer.finish() { try deliver(event, ledger: &ledger, handle: handle) }
                    if exhausted, ledger.outstanding == 0 { return }
                    throw .closedEarly(path: path, unanswered: ledger.outstanding)
                } else if errno != EAGAIN, errno != EINTR {
                    throw .connectionLost(path: path, "read", errno: errno)
                }
            }

            if wantsWrite, poller.revents & Int16(POLLOUT) != 0 {
                let written = output.withUnsafeBytes { bytes in
                    Glibc.send(
                        descriptor,
                        bytes.baseAddress! + outputOffset,
                        bytes.count - outputOffset,
                        Int32(MSG_NOSIGNAL)
                    )
                }
                if written > 0 {
                    outputOffset += written
                    if outputOffset == output.count {
                        output.removeAll(keepingCapacity: true)
                        outputOffset = 0
                    }
                } else if errno == EPIPE || errno == ECONNRESET {
                    // The daemon stopped reading; collect what it still sends until it closes.
                    output.removeAll()
                    outputOffset = 0
                } else if errno != EAGAIN, errno != EINTR {
                    throw .connectionLost(path: path, "write", errno: errno)
                }
            }
        }
    }

    /// Matches one answer line to its request and hands it on.
    private func deliver(
        _ event: LineFramer.Event,
        ledger: inout RequestLedger,
        handle: (DaemonAnswer) -> Void
    ) throws(ClientError) {
        guard case .line(let line) = event else {
            throw .protocolViolation("an answer line longer than \(Self.maxAnswerLength) bytes")
        }
        // Most answers are verdicts to checks: read those without a JSON tree.
        if let (id, verdict) = line.withUnsafeBufferPointer({ Response.decodeVerdict($0) }),
            let number = Int(exactly: id), ledger.isOutstanding(number, kind: .check)
        {
            _ = ledger.settle(number)
            handle(DaemonAnswer(index: number - 1, line: Array(line), response: .success(.verdict(verdict, id: .value(.number(id))))))
            return
        }
        let json: JSONValue
        do throws(JSONError) {
            json = try JSONParser.parse(line)
        } catch {
            throw .protocolViolation("not JSON (\(error)): \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        guard case .object(let object) = json else { throw .protocolViolation("an answer must be a JSON object") }
        switch object["id"] {
        case nil, .null?:
            if object["ok"]?.boolValue == false {
                throw .refused(
                    path: path,
                    code: object["error"]?["code"]?.stringValue ?? "?",
                    message: object["error"]?["message"]?.stringValue ?? "(no message)",
                    line: Array(line)
                )
            }
            throw .protocolViolation("an answer without an id")
        case let id?:
            guard let number = id.intValue, let kind = ledger.settle(number) else {
                throw .protocolViolation("an answer to a request never sent or already answered (id \(id))")
            }
            let response = Result { () throws(ResponseDecodingError) in
                try Response.decode(json: json, expecting: kind)
            }
            handle(DaemonAnswer(index: number - 1, line: Array(line), response: response))
        }
    }

    /// Whether `path` names a socket; `true` when it cannot be examined, so that the error stays as it was.
    private static func isSocket(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return true }
        return status.st_mode & S_IFMT == S_IFSOCK
    }

    /// The `poll(2)` timeout for a remaining duration: rounded up to whole milliseconds.
    private static func pollMilliseconds(_ remaining: Duration) -> Int32 {
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(1, milliseconds))
    }
}

/// The requests of one exchange: the op of each (to decode its answer) and which are answered.
private struct RequestLedger {
    private var kinds: [OperationKind] = []
    private var answered: [Bool] = []
    /// Requests sent (or queued for sending) and not yet answered.
    private(set) var outstanding = 0

    /// Records a new request; returns its id (1, 2, 3, …).
    mutating func register(_ kind: OperationKind) -> Int {
        kinds.append(kind)
        answered.append(false)
        outstanding += 1
        return kinds.count
    }

    /// Whether the request with `id` is a `kind` that has not been answered yet.
    func isOutstanding(_ id: Int, kind: OperationKind) -> Bool {
        id >= 1 && id <= kinds.count && !answered[id - 1] && kinds[id - 1] == kind
    }

    /// Marks the request with `id` answered; returns its op, or `nil` for an id never sent or
    /// already answered.
    mutating func settle(_ id: Int) -> OperationKind? {
        guard id >= 1, id <= kinds.count, !answered[id - 1] else { return nil }
        answered[id - 1] = true
        outstanding -= 1
        return kinds[id - 1]
    }
}
