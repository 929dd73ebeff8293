import Glibc

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

    /// The peer process's supplementary groups, from `/proc/PID/status` (`SO_PEERCRED` carries
    /// only the primary group). Empty when the process is gone or the file cannot be read.
    package func supplementaryGroups() -> [UInt32] {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("Groups:") else { continue }
            return text.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt32($0) }
        }
        return []
    }
}

/// Which peers may talk to the daemon: empty lists allow anyone who can open the socket.
package struct PeerPolicy: Sendable, Hashable {
    package var allowedUIDs: [UInt32]
    package var allowedGIDs: [UInt32]

    package init(allowedUIDs: [UInt32] = [], allowedGIDs: [UInt32] = []) {
        self.allowedUIDs = allowedUIDs
        self.allowedGIDs = allowedGIDs
    }

    /// Whether `peer` may send requests. With both lists set, either match admits the peer: its
    /// uid in `allowedUIDs`, or its primary or any supplementary group in `allowedGIDs`. Root
    /// (uid 0) is always admitted.
    package func admits(_ peer: PeerCredentials?) -> Bool {
        if allowedUIDs.isEmpty, allowedGIDs.isEmpty { return true }
        guard let peer else { return false }
        if peer.uid == 0 { return true }
        if allowedUIDs.contains(peer.uid) || allowedGIDs.contains(peer.gid) { return true }
        guard !allowedGIDs.isEmpty else { return false }
        return peer.supplementaryGroups().contains { allowedGIDs.contains($0) }
    }
}
