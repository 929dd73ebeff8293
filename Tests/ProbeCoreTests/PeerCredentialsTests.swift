import Glibc
import Testing

@testable import ProbeCore

/// Peer credentials come from the connection itself (`SO_PEERCRED`, `SO_PEERGROUPS`), and the
/// peer policy admits by uid, primary gid or any supplementary gid.
struct PeerCredentialsTests {
    @Test func aSocketPairReportsThisProcessWithItsSupplementaryGroups() throws {
        var pair: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer {
            close(pair[0])
            close(pair[1])
        }
        let peer = try #require(PeerCredentials.read(descriptor: pair[0]))
        #expect(peer.pid == getpid())
        #expect(peer.uid == geteuid())
        #expect(peer.gid == getegid())
        let count = getgroups(0, nil)
        var groups = [gid_t](repeating: 0, count: Int(count))
        _ = getgroups(count, &groups)
        #expect(Set(peer.supplementaryGroups) == Set(groups))
    }

    @Test func aSocketThatIsNotConnectedHasNoCredentials() {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(descriptor) }
        #expect(PeerCredentials.peerGroups(descriptor: descriptor) == nil)
    }

    @Test func thePolicyAdmitsASupplementaryMember() {
        let policy = PeerPolicy(allowedGIDs: [4250])
        #expect(policy.admits(PeerCredentials(pid: 1, uid: 4243, gid: 4243, supplementaryGroups: [100, 4250])))
        #expect(policy.admits(PeerCredentials(pid: 1, uid: 4243, gid: 4250)))
        #expect(!policy.admits(PeerCredentials(pid: 1, uid: 4243, gid: 4243, supplementaryGroups: [100])))
        #expect(!policy.admits(nil))
        #expect(policy.admits(PeerCredentials(pid: 1, uid: 0, gid: 0)))
        #expect(PeerPolicy().admits(nil))
    }
}
