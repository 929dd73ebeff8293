import CProbeSys
import Glibc

/// An rtnetlink socket (`AF_NETLINK`, `SOCK_RAW`, `NETLINK_ROUTE`): requests to the kernel and
/// their (multipart) answers, or, opened with ``openMonitor(receiveBufferBytes:)``, a stream of
/// neighbour events.
///
/// It needs no privilege. It belongs to the network namespace of the thread that opens it, for its
/// whole life, whichever thread uses it later. The descriptor is non-blocking; requests wait with
/// `poll(2)` up to a timeout.
///
/// Not `Sendable`: a request and its answer share one receive buffer and one sequence counter, so
/// one owner at a time uses it (the engine's loop thread).
package final class NetlinkSocket {
    /// The file descriptor, for `poll(2)` (close-on-exec, non-blocking).
    package let descriptor: Int32
    /// The port the kernel assigned to this socket (`nl_pid`), which answers carry.
    package let portID: UInt32
    /// How long a request may wait for its whole answer.
    package var answerTimeout: Duration

    private var lastSequence: UInt32
    private var buffer: UnsafeMutableRawBufferPointer

    /// Datagrams skipped because they did not come from the kernel (another process's port).
    package private(set) var foreignDatagrams = 0

    /// The receive buffer's starting size: rtnetlink dumps send at most 32 KiB per datagram.
    package static let defaultBufferBytes = 32 * 1024

    /// Opens and binds a socket in the calling thread's network namespace.
    ///
    /// - Parameters:
    ///   - groups: multicast groups to join (`RTNLGRP_*`, e.g. ``Netlink/neighborGroup``).
    ///   - receiveBufferBytes: a kernel receive buffer to ask for (`SO_RCVBUFFORCE` when
    ///     privileged, else `SO_RCVBUF`, capped by `rmem_max`); `nil` keeps the default.
    ///   - answerTimeout: how long a request may wait for its answer (the kernel answers within
    ///     microseconds; this only bounds a bug).
    /// - Throws: ``NetlinkError`` `.socket`.
    package init(
        groups: [UInt32] = [],
        receiveBufferBytes: Int? = nil,
        answerTimeout: Duration = .seconds(1)
    ) throws(NetlinkError) {
        let type = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let descriptor = socket(AF_NETLINK, type, NETLINK_ROUTE)
        guard descriptor >= 0 else { throw .system(.socket, "socket", errno: errno) }
        var address = sockaddr_nl()
        do throws(NetlinkError) {
            if let receiveBufferBytes { Self.setReceiveBuffer(descriptor, bytes: receiveBufferBytes) }
            address.nl_family = sa_family_t(AF_NETLINK)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
            guard bound == 0 else { throw NetlinkError.system(.socket, "bind", errno: errno) }
            var length = socklen_t(MemoryLayout<sockaddr_nl>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            guard named == 0 else { throw NetlinkError.system(.socket, "getsockname", errno: errno) }
            for group in groups {
                var value = group
                let joined = setsockopt(
                    descriptor, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &value, socklen_t(MemoryLayout<UInt32>.size))
                guard joined == 0 else {
                    throw NetlinkError.system(.socket, "setsockopt(NETLINK_ADD_MEMBERSHIP \(group))", errno: errno)
                }
            }
        } catch {
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        self.portID = address.nl_pid
        self.answerTimeout = answerTimeout
        self.lastSequence = UInt32.random(in: 1...(1 << 30))
        self.buffer = .allocate(byteCount: Self.defaultBufferBytes, alignment: 8)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    /// Sends one request and passes every data message of its answer to `body`, until the answer
    /// ends (`NLMSG_DONE`, `NLMSG_ERROR`, or a single message without `NLM_F_MULTI`).
    ///
    /// Datagrams already waiting (the rest of an earlier, abandoned answer, or events) are thrown
    /// away first; messages of another sequence number are skipped.
    ///
    /// - Parameters:
    ///   - type: the message type, e.g. ``Netlink/getNeighbor``.
    ///   - flags: added to `NLM_F_REQUEST`, e.g. ``Netlink/dumpFlag``.
    ///   - payload: the bytes after the header (e.g. a `struct ndmsg`).
    ///   - body: called with each data message's header and payload; the payload is valid only
    ///     during the call.
    /// - Returns: what else the answer held (skipped messages, `NLM_F_DUMP_INTR`).
    /// - Throws: ``NetlinkError``: `.send`, `.receive`, `.timeout`, `.kernel` (an `NLMSG_ERROR`),
    ///   `.malformed` (broken framing), `.truncated` (a datagram larger than the buffer, which has
    ///   been enlarged: repeat the request).
    @discardableResult
    package func request(
        type: UInt16,
        flags: UInt16,
        payload: [UInt8],
        _ body: (NetlinkMessageHeader, UnsafeRawBufferPointer) -> Void
    ) throws(NetlinkError) -> NetlinkAnswer.Summary {
        discardPending()
        lastSequence = lastSequence == .max ? 1 : lastSequence + 1
        let sequence = lastSequence
        var message = [UInt8]()
        message.reserveCapacity(Netlink.messageHeaderSize + payload.count)
        let header = NetlinkMessageHeader(
            length: UInt32(Netlink.messageHeaderSize + payload.count), type: type,
            flags: Netlink.requestFlag | flags, sequence: sequence, portID: 0)
        header.append(to: &message)
        message.append(contentsOf: payload)
        try send(message)

        var answer = NetlinkAnswer(sequence: sequence, portID: portID)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: answerTimeout)
        while !answer.isComplete {
            guard let length = try receive(until: deadline, clock: clock) else {
                throw NetlinkError(.timeout, "netlink request \(sequence): no complete answer within \(answerTimeout)")
            }
            try answer.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), body)
        }
        return answer.summary
    }

    // MARK: Sending and receiving

    private func send(_ message: [UInt8]) throws(NetlinkError) {
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        while true {
            let sent = withUnsafePointer(to: &kernel) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, message, message.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
            if sent >= 0 { return }
            let code = errno
            if code == EINTR { continue }
            throw .system(.send, "sendto", errno: code)
        }
    }

    /// Waits until `deadline` for a datagram from the kernel and reads it into ``buffer``.
    ///
    /// - Returns: its length, or `nil` when the deadline passed first.
    private func receive(until deadline: ContinuousClock.Instant, clock: ContinuousClock) throws(NetlinkError) -> Int? {
        while true {
            let reading = try receiveNow()
            if case .datagram(let length) = reading { return length }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return nil }
            switch reading {
            case .datagram, .foreign: continue
            case .overrun: continue  // a request socket joins no group; nothing of the answer is lost
            case .empty:
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let (seconds, attoseconds) = remaining.components
                let ready = cprobe_ppoll(&poller, 1, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
                if ready < 0 && errno != EINTR { throw .system(.receive, "poll", errno: errno) }
            }
        }
    }

    /// What one non-blocking read gave.
    enum Reading {
        /// A datagram from the kernel of this many bytes, in ``buffer``.
        case datagram(Int)
        /// A datagram from another socket, dropped.
        case foreign
        /// `ENOBUFS`: the kernel dropped messages for lack of receive buffer (events lost).
        case overrun
        /// Nothing waiting.
        case empty
    }

    /// Reads one datagram without waiting.
    ///
    /// - Throws: ``NetlinkError`` `.receive`, or `.truncated` when the datagram was larger than
    ///   the buffer (the buffer is then enlarged to fit the next one of that size).
    func receiveNow() throws(NetlinkError) -> Reading {
        var source = sockaddr_nl()
        var sourceLength = socklen_t(MemoryLayout<sockaddr_nl>.size)
        let received = withUnsafeMutablePointer(to: &source) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                recvfrom(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT | MSG_TRUNC), $0, &sourceLength)
            }
        }
        if received < 0 {
            let code = errno
            switch code {
            case EAGAIN, EINTR: return .empty
            case ENOBUFS: return .overrun
            default: throw .system(.receive, "recvfrom", errno: code)
            }
        }
        if source.nl_pid != 0 {
            foreignDatagrams += 1
            return .foreign
        }
        guard received <= buffer.count else {
            let size = Netlink.align(received)
            buffer.deallocate()
            buffer = .allocate(byteCount: size, alignment: 8)
            throw NetlinkError(.truncated, "netlink datagram of \(received) bytes was cut to fit the buffer (enlarged to \(size))")
        }
        return .datagram(received)
    }

    /// Calls `body` with the first `length` bytes of the receive buffer (a datagram that
    /// ``receiveNow()`` read).
    func withReceivedBytes<R>(_ length: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<min(length, buffer.count)]))
    }

    /// Throws away every datagram waiting on the socket.
    private func discardPending() {
        while true {
            do {
                if case .empty = try receiveNow() { return }
            } catch {
                // A cut datagram is gone (and the buffer grown): go on. Anything else: stop here.
                if error.code != .truncated { return }
            }
        }
    }

    private static func setReceiveBuffer(_ descriptor: Int32, bytes: Int) {
        var size = Int32(clamping: bytes)
        let length = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(descriptor, SOL_SOCKET, SO_RCVBUFFORCE, &size, length) != 0 {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, length)
        }
    }
}

@available(*, unavailable)
extension NetlinkSocket: Sendable {}
