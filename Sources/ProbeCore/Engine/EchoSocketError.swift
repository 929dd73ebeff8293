/// Why the engine could not open its ICMP sockets.
package struct EchoSocketError: Error, CustomStringConvertible, Sendable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case noPermission, unsupported, system }
        private let value: Value
        /// Neither a ping socket (group outside `net.ipv4.ping_group_range`) nor a raw socket (no CAP_NET_RAW).
        package static let noPermission = Code(value: .noPermission)
        /// The kernel has no support for this family.
        package static let unsupported = Code(value: .unsupported)
        /// Any other failure of socket(2) or setsockopt(2).
        package static let system = Code(value: .system)
        package var description: String { "\(value)" }
    }

    package var code: Code
    package var family: EchoFamily
    package var message: String
    package var errno: Int32

    package var description: String { message }

    static func noPermission(_ family: EchoFamily, groupID: UInt32) -> Self {
        let name = family == .ipv4 ? "ICMP" : "ICMPv6"
        return Self(
            code: .noPermission,
            family: family,
            message: "cannot open an \(name) socket: the ping socket was refused (group \(groupID) is outside "
                + "net.ipv4.ping_group_range) and a raw socket needs CAP_NET_RAW; set "
                + "net.ipv4.ping_group_range to include group \(groupID), or grant CAP_NET_RAW",
            errno: 13
        )
    }
}
