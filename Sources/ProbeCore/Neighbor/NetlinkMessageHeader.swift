/// `struct nlmsghdr`: the sixteen bytes in front of every netlink message, in host byte order.
package struct NetlinkMessageHeader: Sendable, Hashable {
    /// `nlmsg_len`: the message's length, this header included (without trailing alignment).
    package var length: UInt32
    /// `nlmsg_type`: `NLMSG_*` or, for rtnetlink, `RTM_*`.
    package var type: UInt16
    /// `nlmsg_flags`: `NLM_F_*`.
    package var flags: UInt16
    /// `nlmsg_seq`: the request's sequence number, echoed in its answer.
    package var sequence: UInt32
    /// `nlmsg_pid`: the port of the requesting socket (in answers, ours).
    package var portID: UInt32

    package init(length: UInt32, type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32) {
        self.length = length
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
    }

    /// Reads a header at `offset` of `buffer`.
    ///
    /// - Returns: the header, or `nil` when fewer than 16 bytes remain there.
    package init?(reading buffer: UnsafeRawBufferPointer, at offset: Int) {
        guard offset >= 0, buffer.count - offset >= Netlink.messageHeaderSize else { return nil }
        self.length = buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        self.type = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
        self.flags = buffer.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self)
        self.sequence = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
        self.portID = buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)
    }

    /// Whether all of `flag`'s bits are set.
    package func has(_ flag: UInt16) -> Bool { flags & flag == flag }

    /// Appends the header's sixteen bytes in host byte order.
    package func append(to bytes: inout [UInt8]) {
        Self.appendHostOrder(length, to: &bytes)
        Self.appendHostOrder(type, to: &bytes)
        Self.appendHostOrder(flags, to: &bytes)
        Self.appendHostOrder(sequence, to: &bytes)
        Self.appendHostOrder(portID, to: &bytes)
    }

    /// Appends `value`'s bytes in host byte order (as netlink wants its integers).
    package static func appendHostOrder<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }
}
