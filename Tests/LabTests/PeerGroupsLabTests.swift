import Foundation
import Glibc
import LabSupport
import Testing

/// `socket.allowed_gids` under the shipped unit's view of /proc (issue: a DHCP server whose
/// *supplementary* group is allowed was refused, because its groups were read from
/// `/proc/PID/status`, which `ProtectProc=invisible` and `ProcSubset=pid` hide).
///
/// The daemon runs as an unprivileged uid, in a mount namespace of its own where /proc is mounted
/// `hidepid=invisible,subset=pid` (what those two settings make), with `allowed_gids: [4250]`.
/// Clients of another uid connect with and without the supplementary group 4250.
@Suite(.serialized, .lab)
struct PeerGroupsLabTests {
    static let daemonUID = 4241
    static let clientUID = 4243
    static let allowedGID = 4250

    /// Runs `probectl --json info` as the client uid with `groups` as its supplementary groups.
    func info(_ socket: String, groups: [Int]) throws -> (status: Int32, output: String) {
        let groupOption =
            groups.isEmpty ? "--clear-groups" : "--groups=\(groups.map(String.init).joined(separator: ","))"
        return try Lab.run(
            nil,
            [
                "setpriv", "--reuid=\(Self.clientUID)", "--regid=\(Self.clientUID)", groupOption,
                try Lab.probectlBinary.path, "--socket", socket, "--json", "info",
            ]
        )
    }

    @Test func aSupplementaryMemberIsAdmittedUnderHiddenProc() async throws {
        let lab = try Lab.required
        let directory = "/tmp/probed-peergroups-\(getpid())"
        mkdir(directory, 0o755)
        chown(directory, uid_t(Self.daemonUID), gid_t(Self.daemonUID))
        defer { _ = try? lab.run(nil, ["rm", "-rf", directory]) }
        let socket = "\(directory)/probed.sock"
        let configuration = labPolicy + "\nsocket:\n  mode: \"0666\"\n  allowed_gids: [\(Self.allowedGID)]\n"
        let mountHiddenProc = #"mount -t proc -o hidepid=invisible,subset=pid proc /proc && exec "$@""#
        let daemon = try await ProbedProcess(
            in: lab.dut,
            configuration: configuration,
            prefix: [
                "unshare", "--mount", "--propagation", "private", "sh", "-c", mountHiddenProc, "sh",
                "setpriv", "--reuid=\(Self.daemonUID)", "--regid=\(Self.daemonUID)", "--clear-groups",
            ],
            socketPath: socket
        )
        // The daemon really sees /proc as the unit makes it.
        let mounts = try String(contentsOfFile: "/proc/\(daemon.process.pid)/mountinfo", encoding: .utf8)
        // The last mount on /proc is the one on top.
        let proc = mounts.split(separator: "\n").last { $0.split(separator: " ").dropFirst(4).first == "/proc" }
        #expect(
            proc?.contains("hidepid=invisible") == true && proc?.contains("subset=pid") == true,
            "\(proc ?? "no /proc")"
        )
        let status = try Lab.run(nil, ["grep", "^Uid:", "/proc/\(daemon.process.pid)/status"]).output
        #expect(status.contains("\t\(Self.daemonUID)\t"), "the daemon runs as uid \(Self.daemonUID): \(status)")

        // Supplementary member: admitted.
        let member = try info(socket, groups: [100, Self.allowedGID])
        #expect(member.status == 0 && member.output.contains(#""ok":true"#), "\(member.output)")
        // More groups than the first SO_PEERGROUPS buffer holds (64): it grows on ERANGE.
        let many = try info(socket, groups: Array(70_000..<70_300) + [Self.allowedGID])
        #expect(many.status == 0 && many.output.contains(#""ok":true"#), "\(many.output)")
        // Not a member: refused.
        let outsider = try info(socket, groups: [100])
        #expect(outsider.status == 2 && outsider.output.contains(#""code":"not_allowed""#), "\(outsider.output)")
        let none = try info(socket, groups: [])
        #expect(none.status == 2 && none.output.contains(#""code":"not_allowed""#), "\(none.output)")
        #expect(try await daemon.stop() == .exited(0))
    }
}
