import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Testing

/// The real daemon in the lab against bad input and limits: every bad request is answered with
/// its code and loses nothing, while another client keeps getting right answers.
@Suite(.serialized, .lab)
struct DaemonRobustnessTests {
    typealias A = Lab.Addresses

    /// Asks a healthy question on a second connection: the daemon keeps serving everyone else.
    func expectStillServing(_ daemon: ProbedProcess) throws {
        let answer = try daemon.client().ask(checkLine(A.live4[5], id: 77))
        #expect(answer["id"]?.intValue == 77)
        #expect(answer.state == "in_use")
    }

    @Test func badRequestsAreAnsweredOnAnOpenConnection() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            let cases: [(line: String, id: JSONValue?, mentions: String)] = [
                ("this is not json", .null, ""),
                ("[1,2,3]", .null, ""),
                ("{}", nil, "op"),
                (#"{"id":1}"#, .integer(1), "op"),
                (#"{"id":2,"op":"launch"}"#, .integer(2), "op"),
                (#"{"id":3,"op":"check"}"#, .integer(3), "addr"),
                (#"{"id":4,"op":"check","addr":17}"#, .integer(4), "addr"),
                (#"{"id":5,"op":"check","addr":"300.1.1.1"}"#, .integer(5), "addr"),
                (#"{"id":6,"op":"check","addr":"198.51.100.10","timeout_ms":0}"#, .integer(6), "timeout_ms"),
                (#"{"id":7,"op":"check","addr":"198.51.100.10","timeout_ms":10001}"#, .integer(7), "timeout_ms"),
                (#"{"id":8,"op":"check","addr":"198.51.100.10","attempts":11}"#, .integer(8), "attempts"),
                (#"{"id":9,"op":"check","addr":"198.51.100.10","attempts":"2"}"#, .integer(9), "attempts"),
                (#"{"id":10,"op":"check","addr":"198.51.100.10","max_age_ms":-1}"#, .integer(10), "max_age_ms"),
                (#"{"id":11,"op":"pick","addrs":[]}"#, .integer(11), "addrs"),
                (#"{"id":true,"op":"info"}"#, .null, "id"),
                (#"{"id":9007199254740992,"op":"info"}"#, .null, "id"),
            ]
            for item in cases {
                let answer = try client.ask(item.line)
                #expect(answer["ok"]?.boolValue == false, "\(item.line) → \(answer)")
                #expect(answer.errorCode == "bad_request", "\(item.line) → \(answer)")
                #expect(answer["id"] == item.id, "\(item.line) → \(answer)")
                if !item.mentions.isEmpty {
                    #expect(answer["error"]?["message"]?.stringValue?.contains(item.mentions) == true, "\(item.line) → \(answer)")
                }
            }
            // Unknown fields are ignored; ids are echoed as given; blank lines are skipped.
            try client.send("\n   \r\n" + #"{"id":"abc","op":"check","addr":"\#(A.live4[1])","future_field":{"x":1}}"#)
            let fine = try #require(try client.readJSON())
            #expect(fine["id"]?.stringValue == "abc")
            #expect(fine.state == "in_use")
            #expect(try client.ask(#"{"id":9007199254740991,"op":"info"}"#)["id"]?.int64Value == 9_007_199_254_740_991)
            try expectStillServing(daemon)
            let errors = try stats(client)["errors"]
            #expect((errors?["bad_request"]?.intValue ?? 0) >= cases.count)
        }
    }

    @Test func invalidUTF8IsABadRequest() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            try client.send(bytes: Array(#"{"id":1,"op":"check","addr":"198.51.100."#.utf8) + [0xFF, 0xFE] + Array("\"}\n".utf8))
            let answer = try #require(try client.readJSON())
            #expect(answer.errorCode == "bad_request")
            #expect(answer["id"] == .null)
            #expect(try client.ask(#"{"op":"info"}"#)["ok"]?.boolValue == true)
        }
    }

    @Test func crlfLinesAreAccepted() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            try client.send(bytes: Array((checkLine(A.live4[0], id: 1) + "\r\n").utf8))
            #expect(try client.readJSON()?.state == "in_use")
        }
    }

    @Test func aMegabyteLineIsTooLargeThenClosed() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            // A pending request is still answered before the connection closes.
            try client.send(checkLine(A.sink4, id: 1, extra: #","timeout_ms":300"#))
            // The daemon may close before it has read the whole megabyte: that is allowed.
            try client.send(bytes: Array((String(repeating: "x", count: 1 << 20) + "\n").utf8))
            var answers: [JSONValue] = []
            while let answer = try client.readJSON() { answers.append(answer) }
            #expect(answers.contains { $0.errorCode == "too_large" && $0["id"] == .null })
            #expect(answers.contains { $0["id"]?.intValue == 1 && $0.state == "free" })
            try expectStillServing(daemon)
        }
    }

    @Test func halfCloseGetsEveryPendingAnswer() async throws {
        try await withDaemon { daemon in
            let client = try daemon.client()
            var batch = ""
            for index in 0..<20 { batch += checkLine(A.sinkAddresses4(count: 40)[20 + index], id: index) + "\n" }
            try client.send(bytes: Array(batch.utf8))
            client.finishSending()
            var ids = Set<Int>()
            while let answer = try client.readJSON() { if let id = answer["id"]?.intValue { ids.insert(id) } }
            #expect(ids == Set(0..<20))
        }
    }

    @Test func aClientThatLeavesWithRequestsInFlightHarmsNoOne() async throws {
        try await withDaemon { daemon in
            do {
                let leaving = try daemon.client()
                var batch = ""
                for index in 0..<50 { batch += checkLine(A.sinkAddresses4(count: 100)[50 + index], id: index) + "\n" }
                try leaving.send(bytes: Array(batch.utf8))
            }  // closed here, answers still owed
            try expectStillServing(daemon)
            let client = try daemon.client()
            // The probes it started ran on: their verdicts are in the cache.
            let cached = try client.ask(checkLine(A.sinkAddresses4(count: 100)[50], extra: #","timeout_ms":1000"#))
            #expect(cached.state == "free")
        }
    }

    @Test func pendingRequestsPerConnectionAreBounded() async throws {
        try await withDaemon("limits:\n  max_pending_per_connection: 5\n") { daemon in
            let client = try daemon.client()
            var batch = ""
            for index in 0..<10 {
                batch += checkLine(A.sinkAddresses4(count: 10)[index], id: index, extra: #","timeout_ms":500"#) + "\n"
            }
            try client.send(bytes: Array(batch.utf8))
            let answers = try readAnswers(client, count: 10)
            #expect(answers.count == 10)
            #expect(answers.values.filter { $0.errorCode == "overloaded" }.count == 5)
            #expect(answers.values.filter { $0.state == "free" }.count == 5)
        }
    }

    @Test func connectionsOverTheLimitGetOneOverloadedLine() async throws {
        try await withDaemon("limits:\n  max_connections: 2\n") { daemon in
            let first = try daemon.client()
            let second = try daemon.client()
            #expect(try first.ask(#"{"op":"info"}"#)["ok"]?.boolValue == true)
            #expect(try second.ask(#"{"op":"info"}"#)["ok"]?.boolValue == true)
            let third = try daemon.client()
            let refusal = try #require(try third.readJSON())
            #expect(refusal.errorCode == "overloaded")
            #expect(try third.isClosedByPeer())
        }
    }

    @Test func peersOutsideTheCredentialListsAreRefused() async throws {
        let lab = try Lab.required
        try await withDaemon("socket:\n  mode: \"0666\"\n  allowed_uids: [4242]\n") { daemon in
            // uid 65534 may open the socket (mode 0666) but is not on the list.
            let (status, output) = try lab.run(
                nil,
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "socat", "-t", "2", "-", "UNIX-CONNECT:\(daemon.socketPath)"],
                timeout: .seconds(10)
            )
            #expect(status == 0)
            #expect(output.contains("not_allowed"), "got: \(output)")
            // Root is always admitted.
            #expect(try daemon.client().ask(#"{"op":"info"}"#)["ok"]?.boolValue == true)
        }
    }

    @Test func theSocketFileHasTheConfiguredMode() async throws {
        try await withDaemon("socket:\n  mode: \"0640\"\n") { daemon in
            var status = stat()
            #expect(stat(daemon.socketPath, &status) == 0)
            #expect(status.st_mode & 0o777 == 0o640)
        }
    }

    @Test func ipv6TurnedOffIsUnavailable() async throws {
        try await withDaemon("probe:\n  ipv6: false\n") { daemon in
            let client = try daemon.client()
            let answer = try client.ask(checkLine(A.live6[0]))
            #expect(answer.errorCode == "unavailable")
            #expect(try client.ask(#"{"op":"info"}"#)["families"] == .array([.string("ipv4")]))
        }
    }

    @Test func sigtermAnswersEveryRequestInFlightThenExitsZero() async throws {
        let lab = try Lab.required
        let daemon = try await ProbedProcess(in: lab.dut, configuration: labPolicy)
        let client = try daemon.client()
        var batch = ""
        let targets = A.sinkAddresses4(count: 200)[100..<130]
        for (index, target) in targets.enumerated() { batch += checkLine(target, id: index, extra: #","timeout_ms":1500"#) + "\n" }
        try client.send(bytes: Array(batch.utf8))
        // Every request is read (its probe is in flight) before the signal.
        _ = try daemon.client().ask(#"{"op":"info"}"#)
        while try stats(daemon.client())["in_flight"]?.intValue ?? 0 < targets.count { await Task.yield() }
        daemon.signal(SIGTERM)
        _ = try daemon.notifications.next("STOPPING", value: "1")
        let answers = try readAnswers(client, count: targets.count)
        #expect(answers.count == targets.count)
        #expect(answers.values.allSatisfy { $0.state == "free" })
        let termination = try await daemon.process.waitForExit(timeout: .seconds(10))
        #expect(termination == .exited(0))
        #expect(access(daemon.socketPath, F_OK) != 0, "the socket file it created is removed")
    }

    @Test func aLiveDaemonsPathIsNotTakenAndAStaleOneIsReplaced() async throws {
        let lab = try Lab.required
        try await withDaemon { daemon in
            let second = try await ProbedProcess(
                in: lab.dut, configuration: labPolicy, socketPath: daemon.socketPath, waitForReady: false)
            let termination = try await second.process.waitForExit(timeout: .seconds(10))
            #expect(termination == .exited(1))
            #expect(second.process.errorOutput.contains("listening"), "\(second.process.errorOutput)")
            try expectStillServing(daemon)
        }
        // A socket file nobody listens on is stale: a new daemon replaces it.
        let path = "/tmp/probed-stale-\(getpid()).sock"
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(withUnixSocketAddress(path) { bind(stale, $0, $1) } == 0)
        close(stale)
        defer { unlink(path) }
        let replacing = try await ProbedProcess(in: lab.dut, configuration: labPolicy, socketPath: path)
        #expect(try DaemonClient(path: path).ask(#"{"op":"info"}"#)["ok"]?.boolValue == true)
        #expect(try await replacing.stop() == .exited(0))
    }

    @Test func configurationErrorsNameTheKey() async throws {
        let lab = try Lab.required
        let directory = "/tmp/probed-config-\(getpid())"
        mkdir(directory, 0o755)
        defer { _ = try? lab.run(nil, ["rm", "-rf", directory]) }
        let cases = [
            ("probe:\n  timeout_ms: 0\n", "probe.timeout_ms"),
            ("probe:\n  tiemout_ms: 300\n", "probe.tiemout_ms"),
            ("cache:\n  max_entries: lots\n", "cache.max_entries"),
            ("policy:\n  allow: [10.0.0.0/33]\n", "policy.allow"),
            ("socket:\n  mode: \"0999\"\n", "socket.mode"),
        ]
        for (yaml, key) in cases {
            let path = "\(directory)/bad.yaml"
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let (status, output) = try lab.run(nil, [try Lab.probedBinary.path, "--config", path, "--check-config"])
            // 78, EX_CONFIG: the status a start with this file exits with.
            #expect(status == 78, "\(yaml) → \(status) \(output)")
            #expect(output.contains(key), "\(yaml) → \(output)")
            #expect(output.contains(":2:") || output.contains(":1:"), "the line is named: \(output)")
        }
        let good = "\(directory)/good.yaml"
        try (labPolicy + "\nprobe:\n  timeout_ms: 250\n").write(toFile: good, atomically: true, encoding: .utf8)
        let (status, _) = try lab.run(nil, [try Lab.probedBinary.path, "--config", good, "--check-config"])
        #expect(status == 0)
    }

    @Test func startupFailsClearlyWithoutPingSocketsOrRawPrivilege() async throws {
        let lab = try Lab.required
        // In dutraw the ping socket is refused; as uid 65534 without capabilities a raw one is too.
        let daemon = try await ProbedProcess(
            in: lab.dutRaw,
            configuration: labPolicy,
            prefix: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"],
            waitForReady: false
        )
        let termination = try await daemon.process.waitForExit(timeout: .seconds(10))
        // 77, EX_NOPERM: the unit's RestartPreventExitStatus= keeps systemd from retrying it.
        #expect(termination == .exited(77))
        #expect(daemon.process.errorOutput.contains("net.ipv4.ping_group_range"))
        #expect(daemon.process.errorOutput.contains("CAP_NET_RAW"))
        let status = daemon.notifications.drain().compactMap { $0.fields["STATUS"] }
        #expect(status.contains { $0.hasPrefix("failed (exit 77):") }, "STATUS= says why: \(status)")
    }
}
