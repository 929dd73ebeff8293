import CProbeSys
import Glibc

/// Buffers for reading many datagrams with one `recvmmsg(2)`, allocated once by the loop thread.
///
/// `@unchecked Sendable`: only the engine's loop thread ever touches it; it is declared Sendable so
/// that the loop may use it inside the state lock's closure.
package final class ReceiveBatch: @unchecked Sendable {
    package let capacity: Int
    package static let datagramBytes = 512
    static let controlBytes = 128

    let data: UnsafeMutableRawPointer
    let names: UnsafeMutablePointer<sockaddr_in6>
    let control: UnsafeMutableRawPointer
    let vectors: UnsafeMutablePointer<iovec>
    let headers: UnsafeMutablePointer<cprobe_mmsghdr>

    package init(capacity: Int = 64) {
        self.capacity = capacity
        data = .allocate(byteCount: capacity * Self.datagramBytes, alignment: 16)
        names = .allocate(capacity: capacity)
        control = .allocate(byteCount: capacity * Self.controlBytes, alignment: 16)
        vectors = .allocate(capacity: capacity)
        headers = .allocate(capacity: capacity)
        for index in 0..<capacity {
            vectors[index] = iovec(iov_base: data + index * Self.datagramBytes, iov_len: Self.datagramBytes)
        }
    }

    deinit {
        data.deallocate()
        names.deallocate()
        control.deallocate()
        vectors.deallocate()
        headers.deallocate()
    }

    /// Resets the headers before a read (the kernel overwrites lengths).
    func prepare(count: Int) {
        for index in 0..<count {
            var header = msghdr()
            header.msg_name = UnsafeMutableRawPointer(names + index)
            header.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
            header.msg_iov = vectors + index
            header.msg_iovlen = 1
            header.msg_control = control + index * Self.controlBytes
            header.msg_controllen = Self.controlBytes
            header.msg_flags = 0
            headers[index] = cprobe_mmsghdr(msg_hdr: header, msg_len: 0)
        }
    }
}

/// What the socket layer hands the engine for each datagram it reads.
package struct ReceivedMessage {
    package var message: EchoPacket.Message
    package var source: EchoTarget?
}

extension EchoSocket {
    /// Reads queued datagrams (up to one batch) and hands each to `handler`.
    ///
    /// - Returns: how many were read; 0 when none was waiting (or a pending socket error was consumed).
    package func receive(into batch: ReceiveBatch, dropped: inout UInt32, _ handler: (ReceivedMessage) -> Void) -> Int {
        batch.prepare(count: batch.capacity)
        let count = cprobe_recvmmsg(descriptor, batch.headers, UInt32(batch.capacity), Int32(MSG_DONTWAIT))
        guard count > 0 else { return 0 }
        for index in 0..<Int(count) {
            let header = batch.headers[index]
            let bytes = UnsafeRawBufferPointer(start: batch.data + index * ReceiveBatch.datagramBytes, count: Int(header.msg_len))
            let message = header.msg_hdr
            readDropCounter(message, into: &dropped)
            let parsed: EchoPacket.Message =
                (family == .ipv4 && kind == .raw) ? EchoPacket.parseRawIPv4(bytes) : EchoPacket.parse(bytes, family: family)
            let source = EchoTarget(socketAddress: UnsafeRawPointer(batch.names + index), length: Int(message.msg_namelen))
            handler(ReceivedMessage(message: parsed, source: source))
        }
        return Int(count)
    }

    /// Reads the error queue of a ping socket: ICMP errors about our own echoes, each quoting the
    /// echo (identifier, sequence, token) and naming its original destination.
    package func receiveErrors(into batch: ReceiveBatch, _ handler: (ReceivedMessage) -> Void) -> Int {
        var read = 0
        while read < batch.capacity {
            batch.prepare(count: 1)
            var message = batch.headers[0].msg_hdr
            let length = recvmsg(descriptor, &message, Int32(MSG_ERRQUEUE | MSG_DONTWAIT))
            guard length >= 0 else { break }
            read += 1
            let bytes = UnsafeRawBufferPointer(start: batch.data, count: length)
            var isICMP = false
            ControlMessages.forEach(in: message) { level, type, payload in
                guard (level == Int32(IPPROTO_IP) && type == IP_RECVERR) || (level == Int32(IPPROTO_IPV6) && type == IPV6_RECVERR)
                else { return }
                // A payload too short for the error (a cmsg_len the kernel never writes) is not one.
                guard payload.count >= MemoryLayout<sock_extended_err>.size else {
                    isICMP = false
                    return
                }
                let error = payload.loadUnaligned(as: sock_extended_err.self)
                isICMP = error.ee_origin == UInt8(SO_EE_ORIGIN_ICMP) || error.ee_origin == UInt8(SO_EE_ORIGIN_ICMP6)
                let unreachableType = family == .ipv4 ? EchoPacket.unreachableV4 : EchoPacket.unreachableV6
                if error.ee_type != unreachableType { isICMP = false }
            }
            guard isICMP else { continue }
            let parsed = EchoPacket.parseQuotedRequest(bytes, family: family)
            let destination = EchoTarget(socketAddress: UnsafeRawPointer(batch.names), length: Int(message.msg_namelen))
            handler(ReceivedMessage(message: parsed, source: destination))
        }
        return read
    }

    private func readDropCounter(_ message: msghdr, into dropped: inout UInt32) {
        ControlMessages.forEach(in: message) { level, type, payload in
            if level == SOL_SOCKET, type == SO_RXQ_OVFL, payload.count >= MemoryLayout<UInt32>.size {
                dropped = payload.loadUnaligned(as: UInt32.self)
            }
        }
    }
}
