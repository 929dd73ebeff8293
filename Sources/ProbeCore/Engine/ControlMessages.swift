import Glibc

/// A bounds-checked walk over the control messages (`struct cmsghdr` and payload) that
/// `recvmsg(2)` wrote into a control buffer.
///
/// Unlike `CMSG_DATA`, which points at the payload whatever its length, every payload handed out
/// here ends at the message's `cmsg_len` and inside the buffer, so a reader checks its size before
/// it loads a `sock_extended_err` or a counter from it. A header whose `cmsg_len` is shorter than
/// the header itself, or runs past the end of the buffer, ends the walk.
package enum ControlMessages {
    /// `sizeof(struct cmsghdr)`, already a multiple of `sizeof(size_t)` (`CMSG_ALIGN`): the
    /// payload starts right after it (`CMSG_DATA`).
    package static let headerSize = MemoryLayout<cmsghdr>.size

    /// Calls `body` with the level, type and payload of every control message in `buffer`
    /// (`msg_control`, `msg_controllen` bytes), in order.
    package static func forEach(
        in buffer: UnsafeRawBufferPointer,
        _ body: (_ level: Int32, _ type: Int32, _ payload: UnsafeRawBufferPointer) -> Void
    ) {
        var offset = 0
        while buffer.count - offset >= headerSize {
            let length = buffer.loadUnaligned(fromByteOffset: offset + MemoryLayout<cmsghdr>.offset(of: \.cmsg_len)!, as: Int.self)
            guard length >= headerSize, length <= buffer.count - offset else { return }
            let level = buffer.loadUnaligned(fromByteOffset: offset + MemoryLayout<cmsghdr>.offset(of: \.cmsg_level)!, as: Int32.self)
            let type = buffer.loadUnaligned(fromByteOffset: offset + MemoryLayout<cmsghdr>.offset(of: \.cmsg_type)!, as: Int32.self)
            body(level, type, UnsafeRawBufferPointer(rebasing: buffer[(offset + headerSize)..<(offset + length)]))
            offset += align(length)
        }
    }

    /// Calls `body` for every control message of a received message header.
    static func forEach(
        in message: msghdr,
        _ body: (_ level: Int32, _ type: Int32, _ payload: UnsafeRawBufferPointer) -> Void
    ) {
        guard let control = message.msg_control else { return }
        forEach(in: UnsafeRawBufferPointer(start: control, count: Int(message.msg_controllen)), body)
    }

    /// `CMSG_ALIGN`: `length` rounded up to a multiple of `sizeof(size_t)`.
    static func align(_ length: Int) -> Int {
        let alignment = MemoryLayout<Int>.size
        return (length + alignment - 1) & ~(alignment - 1)
    }
}
