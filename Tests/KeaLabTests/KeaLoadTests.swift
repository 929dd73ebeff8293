import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Testing

/// Latency and load with perfdhcp: the warm-pool check is free, REQUEST/ACK and renewals are
/// not delayed, and 200 clients at once get distinct, unsquatted addresses.
@Suite(.serialized, .lab)
struct KeaLoadTests {
    /// What the debug build of probed may add to the hook's p99 over the goal of 1 ms (ms).
    static let debugBuildAllowance = 4.0

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

    /// Kea alone and Kea with the hook (probed's pool warm) take turns, three rounds each; the
    /// median of the rounds' p99 DISCOVER→OFFER is compared (one round's p99 on a shared 2-core
    /// machine is the noise of two or three packets).
    @Test func warmPoolAddsAtMostOneMillisecondAtP99() async throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let pool = "198.51.100.100 - 198.51.100.249"
        let clients = 150
        let load = ["-r", "100", "-R", "\(clients)", "-n", "\(clients)", "-n", "\(clients)", "-W", "2000000"]
        let name = KeaLab.uniqueName("warm")
        var alone: [Double] = []
        var warm: [Double] = []
        var medians: [String] = []
        try await KeaLab.withProbed(
            root: root, name: name, extra: "pools: [{range: \"198.51.100.100-198.51.100.249\", refresh_s: 5}]"
        ) { probed in
            try await Self.waitForWarmPool(probed)
            for round in 0..<3 {
                let plain = KeaConfig(name: KeaLab.uniqueName("alone"), pool: pool)
                let base = try await KeaLab.withKea(root: root, plain) { _ in
                    try Perfdhcp.run(lab, root: root, ["-b", "mac=00:0c:02:0\(round):00:00"] + load)
                }
                let config = KeaConfig(name: name, pool: pool, probed: KeaLab.hookParameters(name, #""max-age-ms": 10000"#))
                let hooked = try await KeaLab.withKea(root: root, config) { kea in
                    try await KeaLab.waitForLog(kea, containing: "PROBED_CONNECTED")
                    let report = try Perfdhcp.run(lab, root: root, ["-b", "mac=00:0c:02:1\(round):00:00"] + load)
                    #expect(try kea.statistic("probed-checks") == Int64(clients))
                    #expect(try kea.statistic("probed-fail-open") == 0)
                    return report
                }
                #expect(base.discoverOffer.received == clients && hooked.discoverOffer.received == clients, "\(hooked.output)")
                alone.append(quantile(base.discoverOffer.delays, 0.99))
                warm.append(quantile(hooked.discoverOffer.delays, 0.99))
                medians.append(
                    String(format: "p50 %.2f/%.2f", quantile(base.discoverOffer.delays, 0.5), quantile(hooked.discoverOffer.delays, 0.5)))
            }
        }
        let p99Alone = quantile(alone, 0.5)
        let p99Warm = quantile(warm, 0.5)
        print("DISCOVER→OFFER p99 (ms) per round, Kea alone \(alone), with the warm hook \(warm); \(medians)")
        // The goal (p99 at most 1 ms above Kea alone) is judged by `Benchmarks/run --only kea`, with
        // a release build of probed. Here probed is the debug build, whose answer alone costs
        // about half a millisecond more, so this guards against regressions with room for that:
        // a check that probed (as opposed to answering from the pool) takes 100 ms or more.
        #expect(p99Warm <= p99Alone + 1 + Self.debugBuildAllowance, "median p99: alone \(p99Alone) ms, with the warm hook \(p99Warm) ms")
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

                    // The same 200 clients again, as real clients whose offer never came would
                    // ask again: those with a lease keep it (not checked), the others get one.
                    let again = try Perfdhcp.run(
                        lab, root: root,
                        ["-b", "mac=00:0c:04:01:00:00", "-r", "1000", "-R", "200", "-n", "200", "-n", "200", "-W", "3000000"],
                        timeout: .seconds(60))
                    #expect(again.requestAck.received == 200, "\(again.output)")
                    let everyone = try kea.activeLeases()
                    #expect(everyone.count == 200)
                    #expect(Set(everyone.map(\.address)).count == 200)
                    #expect(Set(everyone.map(\.address)).isDisjoint(with: squatted))
                    #expect(try kea.declinedAddresses() == squatted)
                    let checks = try kea.statistic("probed-checks")
                    #expect(try kea.statistic("probed-released") == checks)
                    #expect(try kea.statistic("pkt4-receive-drop") == 0)
                }
            }
        }
    }
}
