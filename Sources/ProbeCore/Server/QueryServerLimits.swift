/// The limits a query server applies to its connections; a reload may change them at any time
/// (new values apply to connections accepted afterwards; an open connection keeps the limits it
/// was accepted with).
package struct QueryServerLimits: Sendable, Hashable {
    /// Connections served at once; one more gets an `overloaded` line and is closed.
    package var maxConnections: Int
    /// The longest request line, in bytes; a longer one is answered `too_large` and the connection closed.
    package var maxLineBytes: Int
    /// Requests of one connection read and not yet answered (an answer counts until it is written
    /// to the socket); more are answered `overloaded`.
    package var maxPendingPerConnection: Int
    /// Which peers may connect.
    package var peers: PeerPolicy

    package init(maxConnections: Int = 512, maxLineBytes: Int = 4096, maxPendingPerConnection: Int = 4096, peers: PeerPolicy = PeerPolicy()) {
        self.maxConnections = maxConnections
        self.maxLineBytes = maxLineBytes
        self.maxPendingPerConnection = maxPendingPerConnection
        self.peers = peers
    }
}
