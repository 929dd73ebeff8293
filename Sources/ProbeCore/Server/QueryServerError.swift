/// Why the query server could not start or serve.
package struct QueryServerError: Error, CustomStringConvertible, Sendable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case socketPath, inheritedSocket, bind }
        private let value: Value
        /// The socket path cannot be used (live daemon, not a socket, too long, permissions).
        package static let socketPath = Code(value: .socketPath)
        /// The socket systemd passed is not a listening Unix stream socket.
        package static let inheritedSocket = Code(value: .inheritedSocket)
        /// bind(2)/listen(2) failed.
        package static let bind = Code(value: .bind)
        package var description: String { "\(value)" }
    }

    package var code: Code
    package var message: String

    package var description: String { message }

    static func socketPath(_ path: String, _ reason: String) -> Self {
        Self(code: .socketPath, message: "cannot use socket path \(path): \(reason)")
    }
}
