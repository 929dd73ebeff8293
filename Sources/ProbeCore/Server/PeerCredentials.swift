/// Who is on the other end of a Unix socket connection (`SO_PEERCRED`).
package struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    package var pid: Int32
    package var uid: UInt32
    package var gid: UInt32

    package init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    package var description: String { "pid \(pid) uid \(uid) gid \(gid)" }
}

/// Which peers may talk to the daemon: empty lists allow anyone who can open the socket.
package struct PeerPolicy: Sendable, Hashable {
    package var allowedUIDs: [UInt32]
    package var allowedGIDs: [UInt32]

    package init(allowedUIDs: [UInt32] = [], allowedGIDs: [UInt32] = []) {
        self.allowedUIDs = allowedUIDs
        self.allowedGIDs = allowedGIDs
    }

    /// Whether `peer` may send requests. With both lists set, either match admits the peer;
    /// root (uid 0) is always admitted.
    package func admits(_ peer: PeerCredentials?) -> Bool {
        if allowedUIDs.isEmpty, allowedGIDs.isEmpty { return true }
        guard let peer else { return false }
        if peer.uid == 0 { return true }
        return allowedUIDs.contains(peer.uid) || allowedGIDs.contains(peer.gid)
    }
}
