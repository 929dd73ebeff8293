import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Testing

/// Latency and load with perfdhcp: the warm-pool check is free, REQUEST/ACK and renewals are
/// not delayed, and 200 clients at once get distinct, unsquatted addresses.
@Suite(.serialized, .lab)
struct KeaLoadTests {
    /// Waits until every pool of probed has completed a sweep.
    static func waitForWarmPool(_ probed: ProbedProcess, timeout: Duration = .seconds(20)) async throws {
        let client = try probed.client()
        let deadline = ContinuousClock.now + timeout
        while true {
            let answer = try client.ask(#"{"op":"stats"}"#)
            let pools = answer["stats"]?["pools"]?.arrayValue ?? []
            if !pools.isEmpty, pools.allSatisfy({ ($0["sweeps_completed"]?.intValue ?? 0) >= 1 }) { return }
            guard ContinuousClock.now < deadline else { throw LabError(.timeout, "the pool did not warm: \(answer)") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    @Test func warmPoolAddsAtMostOneMillisecondAtP99() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let pool = "198.51.100.100 - 198.51.100.249"
        let clients = 150
        let load = ["-r", "100", "-R", "\(clients)", "-n", "\(clients)", "-n", "\(clients)", "-W", "2000000"]
        // Kea alone.
        let alone = try await KeaLab.withKea(root: root, KeaConfig(name: KeaLab.uniqueName("alone"), pool: pool)) { _ in
            try Perfdhcp.run(lab, root: root, ["-b", "mac=00:0c:02:01:00:00"] + load)
        }
        // Kea with the hook, probed's pool warm.
        let name = KeaLab.uniqueName("warm")
        let warm = try await KeaLab.withProbed(
            root: root, name: name, extra: "pools: [{range: \"198.51.100.100-198.51.100.249\", refresh_s: 5}]"
        ) { probed in
            try await Self.waitForWarmPool(probed)
            let config = KeaConfig(name: name, pool: pool, probed: KeaLab.hookParameters(name, #""max-age-ms": 10000"#))
            return try await KeaLab.withKea(root: root, config) { kea in
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                let report = try Perfdhcp.run(lab, root: root, ["-b", "mac=00:0c:02:02:00:00"] + load)
                #expect(try kea.statistic("probed-checks") == Int64(clients))
                #expect(try kea.statistic("probed-fail-open") == 0)
                return report
            }
        }
        #expect(alone.discoverOffer.received == clients && warm.discoverOffer.received == clients, "\(warm.output)")
        let p99Alone = quantile(alone.discoverOffer.delays, 0.99)
        let p99Warm = quantile(warm.discoverOffer.delays, 0.99)
        print("Kea alone: DISCOVER→OFFER p50 \(quantile(alone.discoverOffer.delays, 0.5)) ms, p99 \(p99Alone) ms; "
            + "with the hook, warm: p50 \(quantile(warm.discoverOffer.delays, 0.5)) ms, p99 \(p99Warm) ms")
        #expect(p99Warm <= p99Alone + 1, "p99 alone \(p99Alone) ms, with the warm hook \(p99Warm) ms")
    }

    @Test func requestsAndRenewalsAreNotDelayed() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("renewals")
        try await KeaLab.withProbed(root: root, name: name) { _ in
            let config = KeaConfig(name: name, probed: KeaLab.hookParameters(name, #""timeout-ms": 300"#))
            try await KeaLab.withKea(root: root, config) { kea in
                try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                // 20 clients, 4-way exchanges, then renewals (REQUEST from bound clients).
                let report = try Perfdhcp.run(
                    lab, root: root,
                    ["-b", "mac=00:0c:03:01:00:00", "-r", "20", "-R", "20", "-n", "20", "-n", "20", "-f", "10", "-W", "2000000"])
                let offers = report.discoverOffer.delays
                #expect(offers.count == 20, "\(report.output)")
                // Silent pool addresses: every offer waits for probed's 300 ms verdict...
                #expect((offers.min() ?? 0) >= 295)
                // ...but REQUEST/ACK and renewals do not.
                #expect(report.requestAck.received == 20)
                #expect((report.requestAck.delays.max() ?? .infinity) < 50, "\(report.requestAck.delays)")
                let renewals = report.exchanges["REQUEST-ACK (renewal)"] ?? Perfdhcp.Exchange()
                #expect(renewals.received > 0 && renewals.received == renewals.sent, "\(report.output)")
                #expect((renewals.delays.max() ?? 0) < 50, "\(renewals.delays)")
                #expect(try kea.statistic("probed-checks") == 20)
            }
        }
    }

    @Test func twoHundredClientsAtOnceWithSquatters() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let name = KeaLab.uniqueName("many")
        let echoSquatters = ["198.51.100.30", "198.51.100.31", "198.51.100.100"]
        let quietSquatter = "198.51.100.40"
        let squatted = Set(echoSquatters + [quietSquatter])
        for address in echoSquatters {
            try lab.runChecked(lab.hosts, ["ip", "address", "add", "\(address)/24", "dev", Lab.bridgeInterface])
        }
        defer {
            for address in echoSquatters {
                _ = try? lab.run(lab.hosts, ["ip", "address", "del", "\(address)/24", "dev", Lab.bridgeInterface])
                try? KeaLab.forgetNeighbor(address)
            }
        }
        try await KeaLab.withQuietSquatter(quietSquatter) { () async throws in
            try await KeaLab.withProbed(root: root, name: name) { probed in
                let config = KeaConfig(name: name, pool: "198.51.100.30 - 198.51.100.250", probed: KeaLab.hookParameters(name))
                try await KeaLab.withKea(root: root, config) { kea in
                    try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                    // 200 clients within 0.2 s, full DORA; every offer waits ~300 ms for probed.
                    let report = try Perfdhcp.run(
                        lab, root: root,
                        ["-b", "mac=00:0c:04:01:00:00", "-r", "1000", "-R", "200", "-n", "200", "-n", "200", "-W", "3000000"],
                        timeout: .seconds(60))
                    let active = try kea.activeLeases()
                    let declined = try kea.declinedAddresses()
                    // Every client that got an ACK holds its own address, none squatted.
                    #expect(active.count == report.requestAck.received, "\(report.output)")
                    #expect(Set(active.map(\.address)).count == active.count)
                    #expect(Set(active.map(\.hardwareAddress)).count == active.count)
                    #expect(Set(active.map(\.address)).isDisjoint(with: squatted))
                    // Each squatted address was offered once and declined; no other was.
                    #expect(declined == squatted)
                    // The clients whose offer was declined got none (perfdhcp does not retry);
                    // every other client completed.
                    #expect(report.requestAck.received == 200 - squatted.count)
                    // Nothing parked is left behind and nothing was dropped.
                    #expect(try kea.statistic("probed-checks") == 200)
                    #expect(try kea.statistic("probed-released") == 200)
                    #expect(try kea.statistic("pkt4-receive-drop") == 0)
                    #expect(kea.process.isRunning && probed.process.isRunning)
                }
            }
        }
    }
}
