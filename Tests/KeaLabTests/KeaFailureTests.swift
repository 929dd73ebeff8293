import Foundation
import Glibc
import ProbeProtocol
import LabSupport
import Testing

/// probed absent, frozen or restarted: no offer waits past timeout-ms plus the margin, and
/// on-unknown decides.
@Suite(.serialized, .lab)
struct KeaFailureTests {
    /// The hook's deadline margin over timeout-ms (ProbedClient::Options::margin).
    static let margin = 50.0

    @Test func probedAbsentFailsOpenAtOnce() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("absent")
        let config = KeaConfig(name: name, probed: KeaLab.hookParameters(name, #""timeout-ms": 300, "on-unknown": "offer""#))
        try await KeaLab.withKea(root: root, config) { kea in
            try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECT_FAILED")
            let report = try Perfdhcp.run(lab, root: root, ["-b", "mac=00:0c:01:01:00:00", "-r", "20", "-R", "10", "-n", "10", "-n", "10", "-W", "2000000"])
            #expect(report.discoverOffer.received == 10, "\(report.output)")
            #expect(report.requestAck.received == 10)
            let worst = report.discoverOffer.delays.max() ?? .infinity
            #expect(worst < 300 + Self.margin, "slowest DISCOVER→OFFER \(worst) ms")
            #expect(kea.logLines(containing: "PROBED_FAIL_OPEN").count == 10)
            #expect(try kea.statistic("probed-fail-open") == 10)
            #expect(try kea.declinedAddresses().isEmpty)
        }
    }

    @Test func frozenProbedFailsOpenAtTheDeadline() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("frozen")
        try await KeaLab.withProbed(root: root, name: name) { probed in
            let config = KeaConfig(name: name, probed: KeaLab.hookParameters(name, #""timeout-ms": 200"#))
            try await KeaLab.withKea(root: root, config) { kea in
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                // probed accepts the connection but answers nothing while stopped.
                probed.signal(SIGSTOP)
                defer { probed.signal(SIGCONT) }
                let report = try Perfdhcp.run(lab, root: root, ["-b", "mac=00:0c:01:02:00:00", "-r", "20", "-R", "5", "-n", "5", "-n", "5", "-W", "2000000"])
                #expect(report.discoverOffer.received == 5, "\(report.output)")
                for delay in report.discoverOffer.delays {
                    #expect(delay >= 200 && delay < 200 + Self.margin + 30, "DISCOVER→OFFER \(delay) ms")
                }
                let failOpen = kea.logLines(containing: "PROBED_FAIL_OPEN")
                #expect(failOpen.count == 5)
                #expect(failOpen.first?.contains("no answer from probed within 250 ms") == true, "\(failOpen)")
            }
        }
    }

    @Test func probedAbsentWithDeclineOffersNothingUnchecked() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("decline")
        let config = KeaConfig(name: name, probed: KeaLab.hookParameters(name, #""on-unknown": "decline""#))
        try await KeaLab.withKea(root: root, config) { kea in
            try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECT_FAILED")
            let outcome = try Udhcpc.lease(lab, root: root, tries: 3)
            #expect(outcome.address == nil, "udhcpc: \(outcome.output)")
            #expect(try kea.activeLeases().isEmpty)
            let closed = kea.logLines(containing: "PROBED_FAIL_CLOSED")
            #expect(closed.count >= 3)
            #expect(try kea.declinedAddresses().count == closed.count)
        }
    }

    @Test func probedRestartedWhileKeaRuns() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("restart")
        let config = KeaConfig(name: name, probed: KeaLab.hookParameters(name))
        let first = try await KeaLab.startProbed(root: root, name: name)
        try await KeaLab.withKea(root: root, config) { kea in
            try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
            #expect(try await first.stop() == .exited(0))
            try await KeaLab.waitForLog(kea, containing: "PROBED_DISCONNECTED")
            try await KeaLab.withProbed(root: root, name: name) { _ in
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED", count: 2, timeout: .seconds(5))
                try await KeaLab.withEchoSquatter(KeaSquatterTests.first) { () async throws in
                    let outcome = try Udhcpc.lease(lab, root: root)
                    #expect(outcome.address == KeaSquatterTests.second, "udhcpc: \(outcome.output)")
                    #expect(kea.logLines(containing: "PROBED_DECLINE").count == 1)
                }
            }
        }
    }

    /// Kea's config-reload unloads and reloads the hook (inside Kea's critical section): the new
    /// instance connects again and checks the next offer.
    @Test func configReloadKeepsChecking() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("reload")
        try await KeaLab.withProbed(root: root, name: name) { _ in
            try await KeaLab.withKea(root: root, KeaConfig(name: name, probed: KeaLab.hookParameters(name))) { kea in
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                let answer = try kea.command(#"{"command": "config-reload"}"#)
                #expect(answer["result"]?.intValue == 0, "\(answer)")
                try await KeaLab.waitForLog(kea, containing: "PROBED_UNLOAD")
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED", count: 2)
                try await KeaLab.withEchoSquatter(KeaSquatterTests.first) { () async throws in
                    let outcome = try Udhcpc.lease(lab, root: root)
                    #expect(outcome.address == KeaSquatterTests.second, "udhcpc: \(outcome.output)")
                }
            }
        }
    }
}
