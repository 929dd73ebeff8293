import Glibc

/// The answer to one netlink request, assembled from the datagrams that arrive for it.
///
/// It keeps only the messages with the request's sequence number and port (earlier answers that
/// were never read, and anything else, are counted as ``Summary/stale`` and skipped), passes data
/// messages on, and ends at `NLMSG_DONE`, at `NLMSG_ERROR`, or after a single message without
/// `NLM_F_MULTI`. It does no I/O, so that it can be tested on captured bytes.
package struct NetlinkAnswer {
    /// What the answer held, besides its data messages.
    package struct Summary: Sendable, Hashable {
        /// Data messages passed on.
        package var messages = 0
        /// Messages of another sequence number or port, skipped.
        package var stale = 0
        /// `NLMSG_NOOP` and `NLMSG_OVERRUN` messages, skipped.
        package var skipped = 0
        /// Whether a message carried `NLM_F_DUMP_INTR`: the table changed during the dump, so it
        /// may miss or repeat entries.
        package var interrupted = false
        /// Datagrams consumed.
        package var datagrams = 0

        package init() {}
    }

    /// The request's sequence number.
    package let sequence: UInt32
    /// The requesting socket's port.
    package let portID: UInt32
    package private(set) var summary = Summary()
    /// Whether the answer has ended; later datagrams belong to nothing.
    package private(set) var isComplete = false

    package init(sequence: UInt32, portID: UInt32) {
        self.sequence = sequence
        self.portID = portID
    }

    /// Takes in one datagram and calls `body` with every data message of the answer in it.
    ///
    /// - Throws: ``NetlinkError`` `.kernel` for an `NLMSG_ERROR` with an error (or an
    ///   `NLMSG_DONE` that carries one), `.malformed` when the datagram's framing is broken (the
    ///   messages before the break have been passed on) or an `NLMSG_ERROR` is too short to hold
    ///   its error. The answer is then over.
    package mutating func consume(
        _ datagram: UnsafeRawBufferPointer,
        _ body: (NetlinkMessageHeader, UnsafeRawBufferPointer) -> Void
    ) throws(NetlinkError) {
        summary.datagrams += 1
        let malformation = try NetlinkParser.forEachMessage(in: datagram) { (header, payload) throws(NetlinkError) in
            try take(header, payload, body)
        }
        if let malformation {
            isComplete = true
            throw NetlinkError(.malformed, "netlink answer to request \(sequence): \(malformation)")
        }
    }

    private mutating func take(
        _ header: NetlinkMessageHeader,
        _ payload: UnsafeRawBufferPointer,
        _ body: (NetlinkMessageHeader, UnsafeRawBufferPointer) -> Void
    ) throws(NetlinkError) {
        guard !isComplete, header.sequence == sequence, header.portID == portID else {
            summary.stale += 1
            return
        }
        switch header.type {
        case Netlink.noop, Netlink.overrun:
            summary.skipped += 1
        case Netlink.error:
            isComplete = true
            guard let error = NetlinkParser.int32(at: payload) else {
                throw NetlinkError(.malformed, "netlink answer to request \(sequence): NLMSG_ERROR of \(payload.count) bytes")
            }
            // 0 is an acknowledgement; the kernel gives errors as negative errno values.
            if error != 0 { throw Self.kernelError(error, sequence: sequence) }
        case Netlink.done:
            isComplete = true
            // A dump may end with its error in NLMSG_DONE's payload (absent in old kernels).
            if let error = NetlinkParser.int32(at: payload), error < 0 {
                throw Self.kernelError(error, sequence: sequence)
            }
        default:
            if header.has(Netlink.dumpInterruptedFlag) { summary.interrupted = true }
            summary.messages += 1
            body(header, payload)
            if !header.has(Netlink.multipartFlag) { isComplete = true }
        }
    }

    private static func kernelError(_ error: Int32, sequence: UInt32) -> NetlinkError {
        let code = error == .min ? Int32.max : abs(error)
        return NetlinkError(
            .kernel,
            "the kernel refused netlink request \(sequence): \(String(cString: strerror(code))) (errno \(code))",
            errno: code)
    }
}
