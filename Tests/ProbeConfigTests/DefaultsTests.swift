import Foundation
import ProbeConfig
import ProbeProtocol
import Testing

@Suite struct DefaultsTests {
    @Test func defaultsAreDesignSection5() {
        let configuration = Configuration()
        #expect(configuration.socket.path == "/run/probed/probed.sock")
        #expect(configuration.socket.mode == 0o660)
        #expect(configuration.socket.group == nil)
        #expect(configuration.socket.allowedUIDs.isEmpty)
        #expect(configuration.socket.allowedGIDs.isEmpty)
        #expect(configuration.probe.timeoutMilliseconds == 300)
        #expect(configuration.probe.timeout == .milliseconds(300))
        #expect(configuration.probe.attempts == 2)
        #expect(configuration.probe.maxPPS == 20_000)
        #expect(configuration.probe.maxInFlight == 30_000)
        #expect(configuration.probe.neighborEvidence)
        #expect(configuration.probe.neighborMaxAgeSeconds == 30)
        #expect(configuration.probe.ipv6)
        #expect(configuration.cache.inUseTTLSeconds == 60)
        #expect(configuration.cache.freeTTLSeconds == 10)
        #expect(configuration.cache.maxEntries == 200_000)
        #expect(configuration.pools.isEmpty)
        #expect(configuration.poolsMaxPPS == 5000)
        #expect(configuration.limits.maxConnections == 512)
        #expect(configuration.limits.maxLineBytes == 4096)
        #expect(configuration.limits.maxPendingPerConnection == 4096)
        #expect(configuration.log.level == .info)
        #expect(configuration.metrics.listen == "")
        #expect(configuration.metrics.endpoint == nil)
    }

    @Test func defaultPolicyIsExactlyTheDesignList() {
        let texts = Configuration().policy.allow.map(\.description)
        #expect(
            texts == [
                "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
                "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128",
            ]
        )
    }

    @Test(arguments: ["", "\n", "# only a comment\n", "# one\n\n   # two\n", "---\n", "---\n...\n", "~\n"])
    func emptyDocumentsGiveDefaults(yaml: String) throws {
        #expect(try Configuration.parse(yaml: yaml) == Configuration())
    }

    @Test func emptySectionsGiveDefaults() throws {
        let yaml = "socket:\nprobe:\n  # nothing set here\ncache:\nlog:\n"
        #expect(try Configuration.parse(yaml: yaml) == Configuration())
    }

    @Test func exampleFileIsTheDefaults() throws {
        let configuration = try Configuration.load(path: examplePath())
        #expect(configuration == Configuration())
    }

    @Test func exampleFileMentionsEveryKey() throws {
        // Operators read the example: every key must be in it, set or shown commented out.
        let text = try String(contentsOfFile: examplePath(), encoding: .utf8)
        let keys = [
            "socket:", "path:", "mode:", "group:", "allowed_uids:", "allowed_gids:", "probe:", "timeout_ms:",
            "attempts:", "max_pps:", "max_in_flight:", "neighbor_evidence:", "neighbor_max_age_s:", "neighbor_solicit:", "ipv6:",
            "cache:", "in_use_ttl_s:", "free_ttl_s:", "max_entries:", "pools:", "range:", "prefix:", "refresh_s:",
            "pools_max_pps:", "policy:", "allow:", "limits:", "max_connections:", "max_line_bytes:",
            "max_pending_per_connection:", "log:", "level:", "metrics:", "listen:",
        ]
        for key in keys {
            #expect(text.contains(key), "example lacks \(key)")
        }
    }

    @Test func commandLineOverridesAreSettable() {
        var configuration = Configuration()
        configuration.socket.path = "/tmp/probed-test.sock"
        configuration.log.level = Configuration.LogLevel(rawValue: "debug")!
        #expect(configuration.socket.path == "/tmp/probed-test.sock")
        #expect(configuration.log.level == .debug)
        #expect(Configuration.LogLevel(rawValue: "verbose") == nil)
        #expect(Configuration.Socket.pathProblem("/tmp/probed-test.sock") == nil)
        #expect(Configuration.Socket.pathProblem("relative.sock") != nil)
        #expect(Configuration.Socket.pathProblem("/" + String(repeating: "a", count: 107)) != nil)
        #expect(Configuration.Socket.pathProblem("/" + String(repeating: "a", count: 106)) == nil)
    }
}

@Suite struct ReloadTests {
    @Test func onlySocketAndMetricsNeedARestart() throws {
        let running = Configuration()
        let yaml = """
            socket:
              path: /run/other.sock
              mode: "0600"
            probe:
              attempts: 3
              ipv6: false
            metrics:
              listen: 127.0.0.1:9469
            """
        let reloaded = try Configuration.parse(yaml: yaml)
        #expect(reloaded.keysNeedingRestart(comparedTo: running) == ["socket.path", "socket.mode", "probe.ipv6", "metrics.listen"])
        #expect(running.keysNeedingRestart(comparedTo: running).isEmpty)
        var tuned = running
        tuned.probe.timeoutMilliseconds = 500
        tuned.policy.allow = [IPPrefix("10.0.0.0/8")!]
        #expect(tuned.keysNeedingRestart(comparedTo: running).isEmpty)
    }
}
