import Foundation
import LabSupport
import ProbeProtocol
import Testing

/// `probectl` against the real daemon: output a person reads, JSON for scripts, exit codes of §7.
@Suite(.serialized, .lab)
struct ProbectlLabTests {
    typealias A = Lab.Addresses

    func probectl(_ daemon: ProbedProcess?, _ arguments: [String], socket: String? = nil) throws -> (status: Int32, output: String) {
        let path = socket ?? daemon?.socketPath ?? "/nonexistent"
        return try Lab.run(nil, [try Lab.probectlBinary.path, "--socket", path] + arguments, timeout: .seconds(60))
    }

    @Test func checkExitCodes() async throws {
        try await withDaemon { daemon in
            let free = try probectl(daemon, ["check", A.sink4.description, A.sinkAddresses4(count: 3)[2].description])
            #expect(free.status == 0, "\(free.output)")
            #expect(free.output.contains("free"))

            let used = try probectl(daemon, ["check", A.sink4.description, A.live4[0].description])
            #expect(used.status == 1, "\(used.output)")
            #expect(used.output.contains("in_use"))
            #expect(used.output.contains("echo_reply"))

            let unknown = try probectl(daemon, ["check", A.live4[0].description, A.noRoute4.description])
            #expect(unknown.status == 2, "\(unknown.output)")
            #expect(unknown.output.contains("network is unreachable"))

            let refused = try probectl(daemon, ["check", A.prohibit4.description])
            #expect(refused.status == 2)
            #expect(refused.output.contains("not_allowed"))
        }
    }

    @Test func jsonPrintsTheDaemonsLines() async throws {
        try await withDaemon { daemon in
            let result = try probectl(daemon, ["--json", "check", A.live6[0].description])
            #expect(result.status == 1)
            let line = try #require(result.output.split(separator: "\n").first)
            let json = try JSONParser.parse(Array(line.utf8))
            #expect(json["addr"]?.stringValue == A.live6[0].description)
            #expect(json["state"]?.stringValue == "in_use")
        }
    }

    @Test func otherCommands() async throws {
        try await withDaemon { daemon in
            let pick = try probectl(daemon, ["pick", A.live4[0].description, A.sink4.description])
            #expect(pick.status == 0, "\(pick.output)")
            #expect(pick.output.split(separator: "\n").first.map(String.init) == A.sink4.description)

            let mark = try probectl(daemon, ["mark", A.sinkAddresses4(count: 9)[8].description, "in_use", "--ttl", "10m"])
            #expect(mark.status == 0, "\(mark.output)")
            let marked = try probectl(daemon, ["check", A.sinkAddresses4(count: 9)[8].description])
            #expect(marked.status == 1)
            #expect(marked.output.contains("marked"))

            let forget = try probectl(daemon, ["forget", "--all"])
            #expect(forget.status == 0)
            #expect(forget.output.contains("removed"))

            let info = try probectl(daemon, ["info"])
            #expect(info.status == 0)
            #expect(info.output.contains("socket_kind"))
            let stats = try probectl(daemon, ["stats"])
            #expect(stats.status == 0)
            #expect(stats.output.contains("checks"))
            #expect(stats.output.contains("rtt_us.p50"))

            let bad = try probectl(daemon, ["mark", A.sink4.description, "maybe"])
            #expect(bad.status == 2)
        }
    }

    @Test func sweepListsExactlyTheHostsInUse() async throws {
        try await withDaemon { daemon in
            // 198.51.100.0/27 holds the live hosts .10–.19; the echo-dropping .20 shows only with
            // neighbour evidence (issue 5); the rest is silent on-link.
            let result = try probectl(daemon, ["sweep", "198.51.100.0/27", "--timeout", "300"])
            #expect(result.status == 1, "\(result.output)")
            for live in A.live4 { #expect(result.output.contains(live.description + " "), "\(live) missing: \(result.output)") }
            #expect(result.output.contains("30 addresses"), "\(result.output)")
        }
    }

    /// A connection the daemon refuses (`socket.allowed_uids`): `--json` prints the daemon's line
    /// exactly as it came, and the exit status is 2.
    @Test func jsonPrintsARefusalAsItCame() async throws {
        let lab = try Lab.required
        let configuration = labPolicy + "\nsocket:\n  mode: \"0666\"\n  allowed_uids: [4242]\n"
        let daemon = try await ProbedProcess(in: lab.dut, configuration: configuration)
        // The directory is the test's (0755): others may reach the socket inside it.
        let result = try Lab.run(
            nil,
            ["setpriv", "--reuid=4243", "--regid=4243", "--clear-groups", try Lab.probectlBinary.path, "--socket", daemon.socketPath, "--json", "check", "127.0.0.1"],
            timeout: .seconds(30))
        #expect(result.status == 2, "\(result.output)")
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 2 && lines[1].isEmpty, "one line on stdout, nothing on stderr: \(result.output)")
        let prefix = #"{"id":null,"ok":false,"error":{"code":"not_allowed","message":"peer pid "#
        #expect(lines[0].hasPrefix(prefix) && lines[0].hasSuffix(#" uid 4243 gid 4243 is not allowed by socket.allowed_uids/allowed_gids"}}"#), "\(lines[0])")
        #expect(try await daemon.stop() == .exited(0))

        // Without --json: the person's sentence on standard error.
        let daemon2 = try await ProbedProcess(in: lab.dut, configuration: configuration)
        let human = try Lab.run(
            nil,
            ["setpriv", "--reuid=4243", "--regid=4243", "--clear-groups", try Lab.probectlBinary.path, "--socket", daemon2.socketPath, "check", "127.0.0.1"])
        #expect(human.status == 2)
        #expect(human.output.hasPrefix("probectl: probed at \(daemon2.socketPath) refused the connection: not_allowed: peer pid "), "\(human.output)")
        #expect(try await daemon2.stop() == .exited(0))
    }

    @Test func aDaemonThatIsNotRunningIsNamed() throws {
        let result = try probectl(nil, ["check", "127.0.0.1"], socket: "/tmp/probed-nowhere.sock")
        #expect(result.status == 2)
        #expect(result.output.contains("/tmp/probed-nowhere.sock"))
        #expect(result.output.contains("is probed running?"))
    }
}
