/// Bounds-checked walks over netlink datagrams and attribute lists.
///
/// Nothing here reads outside the buffer it is given, whatever the lengths inside claim: a
/// message or attribute whose length is too small to advance, or runs past the end, stops the walk
/// and is reported as a ``Malformation``; everything before it has been delivered.
package enum NetlinkParser {
    /// Why a walk stopped early.
    package struct Malformation: Error, Sendable, Hashable, CustomStringConvertible {
        /// Where in the walked buffer the bad header starts.
        package var offset: Int
        /// What is wrong with it.
        package var reason: String

        package var description: String { "at byte \(offset): \(reason)" }
    }

    /// Calls `body` with the header and payload of every message in one datagram, in order.
    ///
    /// The payload is the `nlmsg_len - 16` bytes after the header. The next message starts at the
    /// aligned end of the previous one; a datagram whose last message lacks its trailing padding is
    /// accepted.
    ///
    /// - Returns: `nil` when the whole datagram was walked, else what stopped the walk: fewer than
    ///   16 bytes left over, `nlmsg_len` below 16, or `nlmsg_len` past the end of the datagram.
    @discardableResult
    package static func forEachMessage<E: Error>(
        in datagram: UnsafeRawBufferPointer,
        _ body: (NetlinkMessageHeader, UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) -> Malformation? {
        var offset = 0
        while offset < datagram.count {
            guard let header = NetlinkMessageHeader(reading: datagram, at: offset) else {
                return Malformation(
                    offset: offset, reason: "\(datagram.count - offset) bytes left, too few for a message header")
            }
            let length = Int(header.length)
            guard length >= Netlink.messageHeaderSize else {
                return Malformation(offset: offset, reason: "nlmsg_len \(length) is below the header's 16 bytes")
            }
            guard length <= datagram.count - offset else {
                return Malformation(
                    offset: offset,
                    reason: "nlmsg_len \(length) runs past the datagram (\(datagram.count - offset) bytes left)")
            }
            let payload = UnsafeRawBufferPointer(
                rebasing: datagram[(offset + Netlink.messageHeaderSize)..<(offset + length)])
            try body(header, payload)
            offset += Netlink.align(length)
        }
        return nil
    }

    /// Calls `body` with the type (without the `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER` bits) and
    /// the value of every attribute (`struct rtattr`) in `buffer`, in order.
    ///
    /// An attribute of length 4 has an empty value, which is valid here; whether an empty value
    /// suits its type is the caller's judgement.
    ///
    /// - Returns: `nil` when the whole buffer was walked, else what stopped the walk: 1 to 3 bytes
    ///   left over, `rta_len` below 4, or `rta_len` past the end of the buffer.
    @discardableResult
    package static func forEachAttribute(
        in buffer: UnsafeRawBufferPointer,
        _ body: (UInt16, UnsafeRawBufferPointer) -> Void
    ) -> Malformation? {
        var offset = 0
        while offset < buffer.count {
            let left = buffer.count - offset
            guard left >= Netlink.attributeHeaderSize else {
                return Malformation(offset: offset, reason: "\(left) bytes left, too few for an attribute header")
            }
            let length = Int(buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let type = buffer.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & Netlink.attributeTypeMask
            guard length >= Netlink.attributeHeaderSize else {
                return Malformation(offset: offset, reason: "rta_len \(length) of attribute \(type) is below 4")
            }
            guard length <= left else {
                return Malformation(
                    offset: offset, reason: "rta_len \(length) of attribute \(type) runs past the end (\(left) bytes left)")
            }
            body(type, UnsafeRawBufferPointer(rebasing: buffer[(offset + Netlink.attributeHeaderSize)..<(offset + length)]))
            offset += Netlink.align(length)
        }
        return nil
    }

    /// The native-endian `Int32` at the start of `buffer` (the error field of `NLMSG_ERROR` and
    /// `NLMSG_DONE`), or `nil` when `buffer` is shorter than four bytes.
    package static func int32(at buffer: UnsafeRawBufferPointer) -> Int32? {
        guard buffer.count >= 4 else { return nil }
        return buffer.loadUnaligned(as: Int32.self)
    }
}
