import CProbeSys
import Glibc

/// Who is on the other end of a Unix socket connection: `SO_PEERCRED` (pid, uid, primary gid)
/// and `SO_PEERGROUPS` (supplementary groups), both as the kernel recorded them when the peer
/// connected.
package struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    package var pid: Int32
    package var uid: UInt32
    package var gid: UInt32
    /// The peer's supplementary groups (`SO_PEERGROUPS`, Linux 4.13 or later); empty when the
    /// kernel does not report them.
    package var supplementaryGroups: [UInt32]

    package init(pid: Int32, uid: UInt32, gid: UInt32, supplementaryGroups: [UInt32] = []) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.supplementaryGroups = supplementaryGroups
    }

    package var description: String { "pid \(pid) uid \(uid) gid \(gid)" }

    /// The credentials of the peer of the connected Unix socket `descriptor`, or `nil` when
    /// `SO_PEERCRED` fails.
    ///
    /// The groups come from the socket itself, not from `/proc/PID/status`: that file is hidden
    /// under the shipped unit's `ProtectProc=invisible` and `ProcSubset=pid`, and the PID may
    /// belong to another process by the time it is read.
    package static func read(descriptor: Int32) -> PeerCredentials? {
        var credentials = cprobe_ucred()
        var length = socklen_t(MemoryLayout<cprobe_ucred>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
        return PeerCredentials(
            pid: credentials.pid, uid: credentials.uid, gid: credentials.gid,
            supplementaryGroups: peerGroups(descriptor: descriptor) ?? [])
    }

    /// `SO_PEERGROUPS` of `descriptor`: starts with room for 64 groups and, when the kernel
    /// answers `ERANGE` with the length it needs, grows to that (at most `NGROUPS_MAX`, 65,536).
    /// `nil` when the option fails otherwise (a kernel before 4.13: `ENOPROTOOPT`).
    static func peerGroups(descriptor: Int32) -> [UInt32]? {
        var capacity = 64
        while true {
            var groups = [UInt32](repeating: 0, count: capacity)
            var length = socklen_t(capacity * MemoryLayout<UInt32>.size)
            let result = groups.withUnsafeMutableBytes { getsockopt(descriptor, SOL_SOCKET, peerGroupsOption, $0.baseAddress, &length) }
            if result == 0 {
                return Array(groups.prefix(Int(length) / MemoryLayout<UInt32>.size))
            }
            let needed = Int(length) / MemoryLayout<UInt32>.size
            guard errno == ERANGE, needed > capacity, needed <= 65536 else { return nil }
            capacity = needed
        }
    }

    /// `SO_PEERGROUPS` (asm-generic/socket.h).
    static let peerGroupsOption: Int32 = 59
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
        return peer.supplementaryGroups.contains { allowedGIDs.contains($0) }
    }
}
