import CProbeSys
import Glibc

/// Buffers for sending many echo requests of one family with one `sendmmsg(2)`, allocated once by
/// the loop thread: a packet and a socket address for each message.
///
/// `@unchecked Sendable` for the same reason as ``ReceiveBatch``: only the loop thread touches it.
final class SendBatch: @unchecked Sendable {
    let capacity: Int
    private let packets: UnsafeMutableRawPointer
    private let names: UnsafeMutablePointer<sockaddr_in6>
    private let vectors: UnsafeMutablePointer<iovec>
    private let headers: UnsafeMutablePointer<cprobe_mmsghdr>

    init(capacity: Int) {
        self.capacity = capacity
        packets = .allocate(byteCount: capacity * EchoPacket.length, alignment: 8)
        names = .allocate(capacity: capacity)
        vectors = .allocate(capacity: capacity)
        headers = .allocate(capacity: capacity)
    }

    deinit {
        packets.deallocate()
        names.deallocate()
        vectors.deallocate()
        headers.deallocate()
    }

    /// Writes message `index`: `echo` as an echo request of `family`, to `target`.
    func set(_ index: Int, echo: EchoPacket.Echo, family: EchoFamily, to target: EchoTarget) {
        let packet = UnsafeMutableRawBufferPointer(start: packets + index * EchoPacket.length, count: EchoPacket.length)
        let length = EchoPacket.encodeRequest(echo, family: family, into: packet)
        let nameLength = target.withSocketAddress { address, length in
            UnsafeMutableRawPointer(names + index).copyMemory(from: address, byteCount: Int(length))
            return length
        }
        vectors[index] = iovec(iov_base: packet.baseAddress, iov_len: length)
        var header = msghdr()
        header.msg_name = UnsafeMutableRawPointer(names + index)
        header.msg_namelen = nameLength
        header.msg_iov = vectors + index
        header.msg_iovlen = 1
        headers[index] = cprobe_mmsghdr(msg_hdr: header, msg_len: 0)
    }

    /// Sends messages `range` with one `sendmmsg`.
    ///
    /// - Returns: how many left (the first ones of the range), and when none did, the first's errno.
    func send(_ range: Range<Int>, descriptor: Int32) -> (sent: Int, error: Int32) {
        let sent = cprobe_sendmmsg(descriptor, headers + range.lowerBound, UInt32(range.count), Int32(MSG_DONTWAIT))
        return sent < 0 ? (0, errno) : (Int(sent), 0)
    }

    /// Sends message `index` alone (`sendto`): its errno, or 0.
    func sendOne(_ index: Int, descriptor: Int32) -> Int32 {
        let header = headers[index].msg_hdr
        let sent = sendto(descriptor, vectors[index].iov_base, vectors[index].iov_len, Int32(MSG_DONTWAIT), header.msg_name?.assumingMemoryBound(to: sockaddr.self), header.msg_namelen)
        return sent < 0 ? errno : 0
    }
}
