import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Testing

/// The process helpers of LabSupport, outside any namespace (they need no root).
@Suite
struct LabProcessTests {
    @Test("run returns the status and the merged output")
    func runCollectsOutput() throws {
        let (status, output) = try Lab.run(nil, ["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(status == 3)
        #expect(output == "out\nerr\n")
    }

    @Test("runChecked throws with the output on failure")
    func runCheckedThrows() {
        let error = #expect(throws: LabError.self) { try Lab.runChecked(nil, ["sh", "-c", "echo broken; exit 1"]) }
        #expect(error?.code == .commandFailed)
        #expect(error?.message.contains("broken") == true)
    }

    @Test("run kills a command past its timeout")
    func runTimesOut() {
        let error = #expect(throws: LabError.self) {
            try Lab.run(nil, ["sh", "-c", "echo waiting; exec sleep 30"], timeout: .milliseconds(200))
        }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("waiting") == true)
    }

    @Test("an unknown program is a spawn error")
    func unknownProgram() {
        let error = #expect(throws: LabError.self) { try Lab.run(nil, ["no-such-program-here"]) }
        #expect(error?.code == .spawn)
    }

    @Test("waitForLine consumes lines in order; terminate ends the process")
    func linesAndTermination() async throws {
        let process = try LabProcess.start(
            nil, ["sh", "-c", "echo one; echo two; echo three; echo err >&2; exec sleep 30"])
        #expect(try await process.waitForLine(containing: "t") == "two")
        #expect(try await process.waitForLine(containing: "t") == "three")
        // "one" lies before the lines already consumed: not found again.
        await #expect(throws: LabError.self) {
            try await process.waitForLine(containing: "o", timeout: .milliseconds(100))
        }
        #expect(process.lines == ["one", "two", "three"])
        process.terminate()
        #expect(try await process.waitForExit() == .signaled(SIGTERM))
    }

    @Test("waitForLine times out with the output so far, the process keeps running")
    func waitForLineTimesOut() async throws {
        let process = try LabProcess.start(nil, ["sh", "-c", "echo hello; exec sleep 30"])
        let error = await #expect(throws: LabError.self) {
            try await process.waitForLine(containing: "never", timeout: .milliseconds(200))
        }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("hello") == true)
        #expect(process.isRunning)
        process.terminate()
        #expect(try await process.waitForExit() == .signaled(SIGTERM))
        #expect(process.termination?.status == 128 + SIGTERM)
        #expect(!process.isRunning)
    }

    @Test("waitForLine fails at once when the output ends")
    func waitForLineAfterExit() async throws {
        let process = try LabProcess.start(nil, ["sh", "-c", "echo only; echo bye >&2; exit 4"])
        let error = await #expect(throws: LabError.self) {
            try await process.waitForLine(containing: "missing", timeout: .seconds(10))
        }
        #expect(error?.code == .exited)
        #expect(try await process.waitForExit() == .exited(4))
        #expect(process.lines == ["only"])
        #expect(process.errorOutput == "bye\n")
    }

    @Test("a line without a final newline still counts")
    func partialLastLine() async throws {
        let process = try LabProcess.start(nil, ["printf", "ready"])
        #expect(try await process.waitForLine(containing: "ready") == "ready")
        #expect(try await process.waitForExit() == .exited(0))
    }

    @Test("environment overrides reach the process")
    func environment() async throws {
        let process = try LabProcess.start(
            nil, ["sh", "-c", "echo value=$LAB_TEST_VALUE"], environment: ["LAB_TEST_VALUE": "x1"])
        #expect(try await process.waitForLine(containing: "value=") == "value=x1")
    }

    @Test("addresses print as ip takes them")
    func addressText() {
        typealias A = Lab.Addresses
        #expect(A.text(A.dutAddress4) == "198.51.100.1")
        #expect(A.text(A.dutAddress6) == "2001:db8:100::1")
        #expect(A.live4.map(A.text).first == "198.51.100.10")
        #expect(A.live6.map(A.text).last == "2001:db8:100::19")
        #expect(A.silent6.count == 35)
        #expect(A.text(A.silent6.last!) == "2001:db8:100::99")
        #expect(A.text(A.sinkAddresses4(count: 300)[299]) == "198.18.1.44")
        #expect(A.text(.v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: 0x0000_0000_0000_0001))) == "2001:db8:0:1::1")
        #expect(A.text(.v6(IPv6Address(high: 0, low: 0))) == "::")
        #expect(A.text(.v6(IPv6Address(high: 0xfe80_0000_0000_0000, low: 1, zone: "veth0"))) == "fe80::1%veth0")
    }

    @Test("the repository root holds the lab scripts")
    func paths() throws {
        #expect(FileManager.default.fileExists(atPath: Lab.labScript.path))
        #expect(FileManager.default.fileExists(atPath: Lab.strayReplyScript.path))
        #expect(try Lab.binDirectory.path.contains("/.build"))
    }
}
