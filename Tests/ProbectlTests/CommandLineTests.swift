import ArgumentParser
import ProbeProtocol
import Testing

@testable import probectl

@Suite struct CommandLineTests {
    @Test func globalOptionsGoBeforeOrAfterTheCommand() throws {
        for arguments in [
            ["--socket", "/tmp/x.sock", "--json", "check", "198.51.100.1"],
            ["check", "--json", "--socket", "/tmp/x.sock", "198.51.100.1"],
        ] {
            let command = try Probectl.parseAsRoot(arguments)
            let check = try #require(command as? CheckCommand)
            #expect(check.root.global.socketPath == "/tmp/x.sock")
            #expect(check.root.global.json)
        }
    }

    @Test func probeOptionsArePassedThrough() throws {
        let command = try Probectl.parseAsRoot([
            "check", "--timeout", "250", "--attempts", "3", "--max-age", "0", "198.51.100.1",
        ])
        let check = try #require(command as? CheckCommand)
        #expect(
            check.probe.check(IPAddress("198.51.100.1")!)
                == .check(
                    CheckRequest(
                        addr: IPAddress("198.51.100.1")!,
                        timeoutMilliseconds: 250,
                        attempts: 3,
                        maxAgeMilliseconds: 0
                    )
                )
        )
    }

    @Test(arguments: [
        ["check"], ["check", "1.2.3"], ["check", "--timeout", "0", "198.51.100.1"], ["mark", "198.51.100.1", "busy"],
        ["forget"], ["forget", "--all", "198.51.100.1"], ["sweep", "10.0.0.0/8"], ["pick"],
    ])
    func usageErrorsAreRefused(arguments: [String]) {
        #expect(throws: (any Error).self) { try Probectl.parseAsRoot(arguments) }
    }

    @Test func forgetTargets() throws {
        let prefix = try #require(try Probectl.parseAsRoot(["forget", "198.51.100.7/24"]) as? ForgetCommand)
        #expect(prefix.target == "198.51.100.7/24")
        let all = try #require(try Probectl.parseAsRoot(["forget", "--all"]) as? ForgetCommand)
        #expect(all.all)
    }
}
