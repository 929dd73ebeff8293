import Foundation
import Glibc
import LabSupport
import Testing

/// Building and removing labs: nothing is left behind, whatever happens.
@Suite(.serialized, .labAvailable)
struct LabLifecycleTests {
    struct Expected: Error {}

    static func namespaceList() throws -> String {
        try Lab.runChecked(nil, ["ip", "netns", "list"])
    }

    static func stateFiles(_ prefix: String) -> [String] {
        ["pid", "ready"].map { "/run/probed-lab/\(prefix).\($0)" }.filter { access($0, F_OK) == 0 }
    }

    @Test("withLab builds four namespaces and removes them afterwards")
    func withLabRemovesTheLab() async throws {
        var seen: Lab?
        let value = try await Lab.withLab { lab in
            seen = lab
            #expect(lab.existingNamespaces() == lab.namespaces)
            #expect(Lab.current == lab)
            let required = try Lab.required
            #expect(required == lab)
            #expect(Self.stateFiles(lab.prefix).count == 2)
            return 42
        }
        #expect(value == 42)
        let lab = try #require(seen)
        #expect(lab.existingNamespaces().isEmpty)
        #expect(!(try Self.namespaceList()).contains(lab.prefix + "-"))
        #expect(Self.stateFiles(lab.prefix).isEmpty)
        #expect(Lab.current == nil)
    }

    @Test("withLab removes the lab when the body throws")
    func withLabRemovesTheLabOnThrow() async throws {
        var seen: Lab?
        await #expect(throws: Expected.self) {
            try await Lab.withLab { lab in
                seen = lab
                #expect(lab.existingNamespaces().count == 4)
                throw Expected()
            }
        }
        let lab = try #require(seen)
        #expect(lab.existingNamespaces().isEmpty)
        #expect(!(try Self.namespaceList()).contains(lab.prefix + "-"))
    }

    @Test("Lab.required outside a lab throws a clear error")
    func requiredOutsideALab() {
        let error = #expect(throws: LabError.self) { try Lab.required }
        #expect(error?.code == .notInLab)
        #expect(error?.message.contains(".lab") == true)
    }

    @Test("lab.sh up is idempotent and quick; down is idempotent")
    func upAndDownAreIdempotent() throws {
        let prefix = Lab.uniquePrefix()
        let clock = ContinuousClock()
        let elapsed = try clock.measure { _ = try Lab.up(prefix: prefix) }
        let lab = Lab(prefix: prefix)
        defer { try? lab.down() }
        // The target is under 1 s; allow for a machine busy with builds.
        #expect(elapsed < .seconds(3), "lab.sh up took \(elapsed)")
        _ = try Lab.up(prefix: prefix)
        #expect(lab.existingNamespaces() == lab.namespaces)
        try lab.down()
        try lab.down()
        #expect(lab.existingNamespaces().isEmpty)
        #expect(Self.stateFiles(prefix).isEmpty)
    }

    @Test("lab.sh rebuilds a half-removed lab")
    func upRepairs() throws {
        let lab = try Lab.up()
        defer { try? lab.down() }
        try Lab.runChecked(nil, ["ip", "netns", "del", lab.quiet])
        _ = try Lab.up(prefix: lab.prefix)
        #expect(lab.existingNamespaces() == lab.namespaces)
        let counters = try Lab.runChecked(lab.quiet, ["nft", "list", "chain", "inet", "quiet", "input"])
        #expect(counters.contains("icmp type echo-request"))
    }

    @Test("lab.sh gc removes labs whose creator is gone")
    func gcRemovesOrphans() throws {
        let lab = Lab(prefix: Lab.uniquePrefix())
        defer { try? lab.down() }
        // The owner is the shell, which exits at once: an orphaned lab.
        let script = "LAB_OWNER_PID=$$ bash \"$0\" up \"$1\""
        try Lab.runChecked(nil, ["sh", "-c", script, Lab.labScript.path, lab.prefix])
        #expect(lab.existingNamespaces() == lab.namespaces)
        try Lab.runChecked(nil, ["bash", Lab.labScript.path, "gc"])
        #expect(lab.existingNamespaces().isEmpty)
        #expect(Self.stateFiles(lab.prefix).isEmpty)
    }

    @Test("lab.sh down kills what still runs inside the lab")
    func downKillsLeftovers() async throws {
        let lab = try Lab.up()
        defer { try? lab.down() }
        let sleeper = try LabProcess.start(lab.dut, ["sh", "-c", "echo started; exec sleep 60"])
        _ = try await sleeper.waitForLine(containing: "started")
        try lab.down()
        #expect(try await sleeper.waitForExit() == .signaled(SIGKILL))
        #expect(lab.existingNamespaces().isEmpty)
    }

    @Test("lab.sh refuses bad prefixes and commands")
    func badArguments() throws {
        #expect(try Lab.run(nil, ["bash", Lab.labScript.path, "up", "Bad-Prefix"]).status == 1)
        #expect(try Lab.run(nil, ["bash", Lab.labScript.path, "sideways"]).status == 2)
        #expect(try Lab.run(nil, ["bash", Lab.labScript.path]).status == 2)
    }
}
