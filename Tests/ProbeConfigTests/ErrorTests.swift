import Foundation
import ProbeConfig
import Testing

@Suite struct ErrorTests {
    @Test func descriptionReadsAsTheOperatorExpects() throws {
        let yaml = """
            socket:
              path: /run/probed/probed.sock
              mode: "0660"
            # the probe settings
            probe:
              attempts: 2
              timeout_ms: 0
            """
        let error = try #require(refusal(yaml))
        #expect(error.code == .outOfRange)
        #expect(error.description == "probed.yaml:7: probe.timeout_ms: must be an integer from 1 to 10000 (got 0)")
        #expect(error.column == 15)
    }

    @Test func descriptionWithoutLineOrKey() {
        let error = ConfigurationError(code: .notFound, fileName: "/etc/probed/probed.yaml", message: "cannot open")
        #expect(error.description == "/etc/probed/probed.yaml: cannot open")
        #expect(ConfigurationError.Code.outOfRange.description == "out_of_range")
    }

    // MARK: Unknown keys

    @Test func unknownTopLevelKeySuggestsTheNearest() {
        let error = expectRefusal(
            "log:\n  level: info\nprob:\n  attempts: 2\n",
            code: .unknownKey,
            keyPath: "prob",
            line: 3
        )
        #expect(error?.message.contains("did you mean probe?") == true)
    }

    @Test func unknownNestedKeyNamesItsFullPath() {
        let error = expectRefusal("probe:\n  timout_ms: 5\n", code: .unknownKey, keyPath: "probe.timout_ms", line: 2)
        #expect(error?.message.contains("did you mean probe.timeout_ms?") == true)
    }

    @Test func unknownKeyFarFromAnyListsTheKnownOnes() {
        let error = expectRefusal("cache:\n  zzzzzzzzzz: 1\n", code: .unknownKey, keyPath: "cache.zzzzzzzzzz", line: 2)
        #expect(error?.message.contains("in_use_ttl_s, free_ttl_s, max_entries") == true)
    }

    @Test func unknownKeyInAPool() {
        let yaml = "pools:\n  - prefix: 10.0.0.0/24\n  - prefix: 10.0.1.0/24\n    refresh: 5\n"
        expectRefusal(yaml, code: .unknownKey, keyPath: "pools[1].refresh", line: 4)
    }

    @Test func mergeKeysAreUnknown() {
        expectRefusal("probe:\n  <<: {attempts: 3}\n", code: .unknownKey, keyPath: "probe.<<", line: 2)
    }

    // MARK: Duplicate keys

    @Test func duplicateNestedKeyNamesPathAndBothLines() {
        let yaml = "probe:\n  attempts: 2\n  timeout_ms: 100\n  attempts: 3\n"
        let error = expectRefusal(yaml, code: .duplicateKey, keyPath: "probe.attempts", line: 4)
        #expect(error?.message.contains("first on line 2") == true)
    }

    @Test func duplicateSection() {
        expectRefusal("log:\n  level: info\nlog:\n  level: debug\n", code: .duplicateKey, keyPath: "log", line: 3)
    }

    @Test func duplicateKeyInsideAFlowPool() {
        let yaml = "policy:\n  allow: [10.0.0.0/8]\npools: [{prefix: 10.0.0.0/24, refresh_s: 5, prefix: 10.0.1.0/24}]\n"
        expectRefusal(yaml, code: .duplicateKey, keyPath: "pools[0].prefix", line: 3)
    }

    // MARK: Wrong types

    @Test func quotedNumberIsAString() {
        let error = expectRefusal(
            "probe:\n  timeout_ms: \"300\"\n",
            code: .wrongType,
            keyPath: "probe.timeout_ms",
            line: 2
        )
        #expect(error?.message == "must be an integer from 1 to 10000 (got \"300\")")
    }

    @Test(
        arguments: [
            ("probe:\n  attempts: 1.5\n", "probe.attempts", 2),
            ("probe:\n  attempts: two\n", "probe.attempts", 2),
            ("probe:\n  attempts: 0x2\n", "probe.attempts", 2),
            ("probe:\n  attempts:\n", "probe.attempts", 2),
            ("probe:\n  attempts: [2]\n", "probe.attempts", 2),
            ("probe:\n  ipv6: 1\n", "probe.ipv6", 2),
            ("probe:\n  neighbor_evidence: \"true\"\n", "probe.neighbor_evidence", 2),
            ("probe:\n  neighbor_solicit: [auto]\n", "probe.neighbor_solicit", 2),
            ("probe: [1, 2]\n", "probe", 1),
            ("probe: fast\n", "probe", 1),
            ("socket:\n  allowed_uids: 0\n", "socket.allowed_uids", 2),
            ("socket:\n  allowed_gids: [wheel]\n", "socket.allowed_gids[0]", 2),
            ("socket:\n  path: [a]\n", "socket.path", 2),
            ("pools: {prefix: 10.0.0.0/24}\n", "pools", 1),
            ("pools:\n  - 10.0.0.0/24\n", "pools[0]", 2),
            ("policy:\n  allow: 10.0.0.0/8\n", "policy.allow", 2),
            ("policy:\n  allow:\n", "policy.allow", 2),
            ("log:\n  level: {name: info}\n", "log.level", 2),
            ("metrics:\n  listen: [a]\n", "metrics.listen", 2),
        ] as [(String, String, Int)]
    )
    func wrongTypeNamesKeyAndLine(yaml: String, keyPath: String, line: Int) {
        expectRefusal(yaml, code: .wrongType, keyPath: keyPath, line: line)
    }

    @Test(arguments: ["- probe\n- log\n", "just a string\n", "42\n"])
    func topLevelMustBeAMapping(yaml: String) {
        let error = expectRefusal(yaml, code: .wrongType, keyPath: "", line: 1)
        #expect(error?.message.hasPrefix("the file must hold a mapping") == true)
    }

    @Test func nonScalarKeyIsRefused() {
        expectRefusal("? [a, b]\n: 1\n", code: .wrongType, keyPath: "", line: 1)
    }

    // MARK: Invalid values

    @Test(
        arguments: [
            ("log:\n  level: verbose\n", "log.level", 2),
            ("probe:\n  neighbor_solicit: arp\n", "probe.neighbor_solicit", 2),
            ("probe:\n  neighbor_solicit: true\n", "probe.neighbor_solicit", 2),
            ("log:\n  level: INFO\n", "log.level", 2),
            ("socket:\n  path: probed.sock\n", "socket.path", 2),
            ("socket:\n  group: \"\"\n", "socket.group", 2),
            ("metrics:\n  listen: localhost\n", "metrics.listen", 2),
            ("metrics:\n  listen: \"::1:9469\"\n", "metrics.listen", 2),
            ("metrics:\n  listen: 127.0.0.1:0\n", "metrics.listen", 2),
            ("metrics:\n  listen: 127.0.0.1:65536\n", "metrics.listen", 2),
            ("metrics:\n  listen: 300.0.0.1:9469\n", "metrics.listen", 2),
            ("metrics:\n  listen: \"[::1]9469\"\n", "metrics.listen", 2),
        ] as [(String, String, Int)]
    )
    func invalidValueNamesKeyAndLine(yaml: String, keyPath: String, line: Int) {
        expectRefusal(yaml, code: .invalidValue, keyPath: keyPath, line: line)
    }

    @Test func logLevelMessageListsTheLevels() {
        let error = refusal("log:\n  level: verbose\n")
        #expect(
            error?.message == "must be one of trace, debug, info, notice, warning, error, critical (got \"verbose\")"
        )
    }

    @Test(arguments: ["127.0.0.1:9469", "[::1]:9469", "localhost:9469", "0.0.0.0:1", "[fe80::1%eth0]:65535"])
    func metricsListenAccepts(listen: String) throws {
        let configuration = try Configuration.parse(yaml: "metrics:\n  listen: \"\(listen)\"\n")
        #expect(configuration.metrics.listen == listen)
        #expect(configuration.metrics.endpoint?.description == listen)
    }

    // MARK: Syntax and files

    @Test(
        arguments: [
            ("probe:\n  timeout_ms: [1, 2\n", 3),
            ("probe:\n\ttimeout_ms: 3\n", 2),
            ("probe:\n  attempts: 2\n timeout_ms: 3\n", 3),
            ("probe: {attempts: 2\n", 2),
            ("log:\n  level: info\n---\nlog:\n  level: debug\n", 3),
            ("probe: *undefined\n", 1),
        ] as [(String, Int)]
    )
    func syntaxErrorsGiveALine(yaml: String, line: Int) {
        let error = refusal(yaml)
        #expect(error?.code == .syntax)
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.keyPath == "")
        #expect(error?.description.hasPrefix("probed.yaml:\(line): syntax error: ") == true)
    }

    @Test func missingFileIsNotFound() {
        let path = "/nonexistent/probed-\(UInt32.random(in: 0...UInt32.max)).yaml"
        #expect {
            try Configuration.load(path: path)
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.code == .notFound && error?.fileName == path && error?.line == nil
                && error?.description == "\(path): cannot open: No such file or directory"
        }
    }

    @Test func directoryIsUnreadable() {
        #expect {
            try Configuration.load(path: "/tmp")
        } throws: { error in
            (error as? ConfigurationError)?.code == .unreadable
        }
    }

    @Test func nonUTF8FileIsUnreadable() throws {
        let path = try temporaryFile(containing: "")
        defer { removeFile(path) }
        try Data([0x6C, 0x6F, 0x67, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: path))
        #expect {
            try Configuration.load(path: path)
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.code == .unreadable && error?.message == "is not UTF-8 text"
        }
    }

    @Test func errorsNameTheFileAsGiven() throws {
        let path = try temporaryFile(containing: "probe:\n  attempts: 0\n")
        defer { removeFile(path) }
        #expect {
            try Configuration.load(path: path)
        } throws: { error in
            (error as? ConfigurationError)?.description
                == "\(path):2: probe.attempts: must be an integer from 1 to 10 (got 0)"
        }
    }
}
