import Glibc

/// A failure of a netlink socket or of the answer to a request.
package struct NetlinkError: Error, CustomStringConvertible, Sendable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case socket, send, receive, timeout, kernel, malformed, truncated }
        private let value: Value
        /// socket(2), bind(2), getsockname(2) or setsockopt(2) failed.
        package static let socket = Code(value: .socket)
        /// sendto(2) of a request failed.
        package static let send = Code(value: .send)
        /// recvfrom(2) or poll(2) failed.
        package static let receive = Code(value: .receive)
        /// The answer did not end within the time allowed.
        package static let timeout = Code(value: .timeout)
        /// The kernel answered with `NLMSG_ERROR` (or a `NLMSG_DONE` carrying an error); see ``errno``.
        package static let kernel = Code(value: .kernel)
        /// A datagram of the answer could not be parsed (its framing is broken).
        package static let malformed = Code(value: .malformed)
        /// A datagram of the answer was larger than the receive buffer and was cut (the buffer has
        /// been enlarged; repeating the request succeeds).
        package static let truncated = Code(value: .truncated)
        package var description: String { "\(value)" }
    }

    package var code: Code
    package var message: String
    /// The system error, or 0.
    package var errno: Int32

    package init(_ code: Code, _ message: String, errno: Int32 = 0) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    package var description: String { message }

    /// An error of a system call, with `strerror` of `errno`.
    static func system(_ code: Code, _ call: String, errno: Int32) -> Self {
        Self(code, "netlink \(call): \(String(cString: strerror(errno))) (errno \(errno))", errno: errno)
    }
}
