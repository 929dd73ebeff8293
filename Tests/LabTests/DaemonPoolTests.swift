import Foundation
import LabSupport
import ProbeProtocol
import Testing

/// Warm pools through the real daemon (docs/pools.md): sweeps that keep verdicts fresh, answers from
/// the cache, hosts appearing and leaving, passive evidence, the `pools_max_pps` cap, on-demand
/// checks during a large sweep, and SIGHUP.
@Suite(.serialized, .lab)
struct DaemonPoolTests {
    typealias A = Lab.Addresses

    /// Live, echo-dropping, silent on-link and sink addresses of both families, swept every 2 s.
    static let mixedRanges = [
        "198.51.100.10-198.51.100.20", "198.51.100.77-198.51.100.84", "203.0.113.8-203.0.113.15",
        "2001:db8:100::10-2001:db8:100::20", "2001:db8:100::77-2001:db8:100::7e", "2001:db8:200::10-2001:db8:200::17",
    ]

    static func poolsYAML(_ ranges: [String], refresh: Int) -> String {
        "pools:\n" + ranges.map { "  - {range: \"\($0)\", refresh_s: \(refresh)}\n" }.joined()
    }

    @Test func afterOneRefreshPeriodEveryVerdictIsRightAndServedFromTheCacheAtOnce() async throws {
        let lab = try Lab.required
        try lab.flushNeighbours()
        try await withDaemon(Self.poolsYAML(Self.mixedRanges, refresh: 2)) { daemon in
            let started = ContinuousClock.now
            let client = try daemon.client()
            #expect(try await PoolLab.waitUntilWarm(client, pools: 6, timeout: .seconds(10)))
            let warm = ContinuousClock.now - started
            // One pass takes 1.65 s (2 s less the 300 ms deadline and 50 ms); its last probe ends 300 ms later.
            #expect(warm < .seconds(2) + .milliseconds(500), "warm after \(warm)")

            var slow: [(IPAddress, Duration)] = []
            for address in Self.mixedRanges.flatMap(PoolLab.addresses) {
                let clock = ContinuousClock()
                let begin = clock.now
                let answer = try client.ask(checkLine(address, extra: #","max_age_ms":2000"#))
                let took = clock.now - begin
                let expected = PoolLab.expectedState(address)
                #expect(answer.isCached == true, "\(answer)")
                #expect(answer.state == expected.state, "\(answer)")
                #expect(expected.evidence.contains(answer.evidence ?? ""), "\(answer)")
                if address == A.quiet4 || address == A.quiet6 { #expect(answer["mac"]?.stringValue == A.quietMAC) }
                if took >= .milliseconds(5) { slow.append((address, took)) }
            }
            // A cached answer takes well under 5 ms; one slowed by this busy machine gets a second try.
            for (address, took) in slow {
                let clock = ContinuousClock()
                let begin = clock.now
                _ = try client.ask(checkLine(address, extra: #","max_age_ms":2000"#))
                let retook = clock.now - begin
                #expect(retook < .milliseconds(5), "\(address): \(took), then \(retook)")
            }

            let figures = try PoolLab.figures(client)
            #expect(PoolLab.verdicts(figures["198.51.100.10-198.51.100.20"], "in_use") == 11)
            #expect(PoolLab.verdicts(figures["198.51.100.77-198.51.100.84"], "free") == 8)
            #expect(PoolLab.verdicts(figures["203.0.113.8-203.0.113.15"], "free") == 8)
            #expect(PoolLab.verdicts(figures["2001:db8:100::10-2001:db8:100::20"], "in_use") == 11)
            #expect(PoolLab.verdicts(figures["2001:db8:100::10-2001:db8:100::20"], "free") == 6)
            #expect(figures.values.allSatisfy { ($0["sweeps_completed"]?.intValue ?? 0) >= 1 })
            #expect(figures.values.allSatisfy { ($0["oldest_age_ms"]?.intValue ?? .max) <= 2000 })
            let info = try client.ask(#"{"op":"info"}"#)
            #expect(info["pools"]?.arrayValue?.compactMap { $0["pool"]?.stringValue } == Self.mixedRanges)
            #expect(info["pools"]?[0]?["size"]?.intValue == 11)
            #expect(info["pools_max_pps"]?.intValue == 5000)
        }
    }

    @Test(arguments: [IPAddress("198.51.100.21")!, IPAddress("2001:db8:100::21")!])
    func aHostAddedDuringTheRunIsInUseWithinOneRefreshPeriod(address: IPAddress) async throws {
        let lab = try Lab.required
        let range = "\(address)-\(address)"
        try await withDaemon(Self.poolsYAML([range], refresh: 2)) { daemon in
            let client = try daemon.client()
            let free = try await PoolLab.waitForVerdict(client, address, maxAgeMilliseconds: 2000, timeout: .seconds(3)) {
                $0.state == "free" && $0.isCached == true
            }
            #expect(free != nil)
            try await PoolLab.withHost(lab, address) {
                let added = ContinuousClock.now
                let answer = try await PoolLab.waitForVerdict(client, address, maxAgeMilliseconds: 2000, timeout: .seconds(4)) {
                    $0.state == "in_use"
                }
                let took = ContinuousClock.now - added
                #expect(answer?.isCached == true, "\(String(describing: answer))")
                #expect(took <= .seconds(2), "in use after \(took)")
            }
        }
    }

    @Test func aHostThatSpeaksToTheDaemonsLinkIsInUseAtOnce() async throws {
        let lab = try Lab.required
        let (v4, v6) = (IPAddress("198.51.100.25")!, IPAddress("2001:db8:100::25")!)
        // Swept at start, then not again for 30 s: what turns it in use is the host's own packet.
        let ranges = ["198.51.100.25-198.51.100.28", "2001:db8:100::25-2001:db8:100::28"]
        try await withDaemon(Self.poolsYAML(ranges, refresh: 30)) { daemon in
            let client = try daemon.client()
            for address in [v4, v6] {
                try await PoolLab.expectInUseOnceItSpeaks(lab, client, address)
            }
            let figures = try PoolLab.figures(client)
            #expect(figures[ranges[0]]?["passive_hits"]?.intValue == 1)
            #expect(figures[ranges[1]]?["passive_hits"]?.intValue == 1)
        }
    }

    @Test func passiveEvidenceStartsWithAPoolThatAReloadAdds() async throws {
        // Without pools the daemon leaves the kernel's neighbour group (a burst of probes then
        // costs no neighbour events); a pool added by SIGHUP joins it again.
        let lab = try Lab.required
        let address = IPAddress("198.51.100.26")!
        try await withDaemon { daemon in
            let client = try daemon.client()
            try daemon.writeConfiguration(labPolicy + "\n" + Self.poolsYAML(["198.51.100.25-198.51.100.28"], refresh: 30))
            daemon.signal(SIGHUP)
            _ = try daemon.notifications.next("RELOADING", timeout: .seconds(5))
            _ = try daemon.notifications.next("READY", value: "1", timeout: .seconds(5))
            try await PoolLab.expectInUseOnceItSpeaks(lab, client, address)
        }
    }

    @Test(arguments: [A.live4[8], A.live6[8]])
    func aRemovedHostIsFreeWithinOneRefreshPeriodAfterItsInUseTTL(address: IPAddress) async throws {
        let lab = try Lab.required
        let length = address.family == .ipv4 ? "24" : "64"
        let yaml = Self.poolsYAML(["\(address)-\(address)"], refresh: 1)
            + "cache:\n  in_use_ttl_s: 1\nprobe:\n  neighbor_max_age_s: 1\n"
        try await withDaemon(yaml) { daemon in
            let client = try daemon.client()
            let live = try await PoolLab.waitForVerdict(client, address, maxAgeMilliseconds: 1000, timeout: .seconds(3)) {
                $0.evidence == "echo_reply" && $0.isCached == true
            }
            #expect(live != nil)
            // The host leaves; its neighbour entry stays, and turns STALE (as it would once its
            // reachable time ran out).
            try lab.runChecked(lab.hosts, ["ip", "addr", "del", "\(address)/\(length)", "dev", Lab.bridgeInterface])
            defer {
                var add = ["ip", "addr", "add", "\(address)/\(length)", "dev", Lab.bridgeInterface]
                if address.family == .ipv6 { add.append("nodad") }
                _ = try? lab.run(lab.hosts, add)
            }
            let removed = ContinuousClock.now
            let entry = try lab.neighbourEntry(address, in: lab.dut)
            let mac = try #require(entry.split(separator: " ").drop { $0 != "lladdr" }.dropFirst().first)
            try lab.runChecked(
                lab.dut, ["ip", "neigh", "change", A.text(address), "dev", Lab.dutInterface, "lladdr", String(mac), "nud", "stale"])
            let answer = try await PoolLab.waitForVerdict(client, address, maxAgeMilliseconds: 1000, timeout: .seconds(5)) {
                $0.state == "free"
            }
            let took = ContinuousClock.now - removed
            #expect(answer?.isCached == true, "\(String(describing: answer))")
            #expect(answer?.evidence == "timeout")
            // In-use TTL (1 s) plus one refresh period (1 s), and the probe's 300 ms.
            #expect(took <= .milliseconds(2300), "free after \(took)")
        }
    }

    @Test func theSweepsSendNoMoreEchoRequestsThanPoolsMaxPPS() async throws {
        let lab = try Lab.required
        let counters = try EchoCounters(lab, prefixes: ["198.18.0.0/22"])
        defer { counters.remove() }
        // 1,022 addresses every second want 3,145 echo requests/s; 400 are allowed.
        let yaml = "pools:\n  - {prefix: 198.18.0.0/22, refresh_s: 1}\npools_max_pps: 400\n"
        try await withDaemon(yaml) { daemon in
            let client = try daemon.client()
            let figures = try #require(try PoolLab.figures(client)["198.18.0.0/22"])
            #expect((5100...5120).contains(figures["period_ms"]?.intValue ?? 0), "\(figures)")
            try await Task.sleep(for: .milliseconds(500))
            let clock = ContinuousClock()
            var samples: [(ContinuousClock.Instant, Int)] = []
            for _ in 0..<13 {
                samples.append((clock.now, try counters.counts()[0]))
                try await Task.sleep(for: .milliseconds(250))
            }
            for (earlier, later) in zip(samples, samples.dropFirst()) {
                let seconds = Double((later.0 - earlier.0).components.attoseconds) / 1e18 + Double((later.0 - earlier.0).components.seconds)
                // No burst: every quarter second within the cap, allowing for the sampling's own jitter.
                #expect(Double(later.1 - earlier.1) <= 400 * seconds * 1.3 + 4, "\(later.1 - earlier.1) in \(seconds) s")
            }
            let total = samples.last!.1 - samples.first!.1
            let span = samples.last!.0 - samples.first!.0
            let seconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
            let rate = Double(total) / seconds
            #expect(rate <= 400 * 1.05, "\(rate) echo requests/s")
            #expect(rate >= 400 * 0.8, "\(rate) echo requests/s: the sweeps should use their share")
        }
    }

    @Test func onDemandChecksDuringASweepOfASlashSixteenAreAnsweredInTime() async throws {
        // 65,534 sink addresses: 2,500 probes a second at the default pools_max_pps, never answered.
        try await withDaemon("pools:\n  - {prefix: 198.18.0.0/16, refresh_s: 10}\n") { daemon in
            let client = try daemon.client()
            // Sweeping for two seconds: at full pace, or slowed down if the engine cannot keep up.
            try await Task.sleep(for: .seconds(2))
            let before = try #require(try PoolLab.figures(client)["198.18.0.0/16"])
            #expect((before["sweep_probes"]?.intValue ?? 0) >= 1000, "\(before)")

            let targets = A.live4 + A.live6 + (20..<40).map { IPAddress.v4(IPv4Address(203, 0, 113, UInt8($0))) } + A.silent4[0..<5]
            for round in 0..<3 {
                var batch = ""
                for (index, address) in targets.enumerated() {
                    batch += checkLine(address, id: round * 1000 + index, extra: #","max_age_ms":0"#) + "\n"
                }
                let clock = ContinuousClock()
                let begin = clock.now
                try client.send(bytes: Array(batch.utf8))
                var answers: [Int: (answer: JSONValue, after: Duration)] = [:]
                for _ in targets.indices {
                    guard let answer = try client.readJSON(timeout: .seconds(5)), let id = answer["id"]?.intValue else { break }
                    answers[id] = (answer, clock.now - begin)
                }
                #expect(answers.count == targets.count)
                for (index, address) in targets.enumerated() {
                    let answer = answers[round * 1000 + index]
                    // Starved checks would come back unknown (not sent in time), or late.
                    #expect(answer?.answer.state == PoolLab.expectedState(address).state, "\(address): \(String(describing: answer))")
                    // Within its 300 ms deadline: an echo reply well before it; silence at it, plus
                    // what a loaded machine running a debug build takes to answer.
                    let limit: Duration = answer?.answer.state == "in_use" ? .milliseconds(300) : .milliseconds(300 + 150)
                    #expect((answer?.after ?? .seconds(5)) < limit, "round \(round), \(address): \(String(describing: answer))")
                }
            }
            let after = try #require(try PoolLab.figures(client)["198.18.0.0/16"])
            #expect((after["sweep_probes"]?.intValue ?? 0) > (before["sweep_probes"]?.intValue ?? 0))
            #expect((after["period_ms"]?.intValue ?? 0) > 26_000)
        }
    }

    @Test func sighupStartsAddedPoolsStopsRemovedOnesAndKeepsVerdictsOfPoolsStillThere() async throws {
        let lab = try Lab.required
        let (removed, kept, added) = ("203.0.113.16-203.0.113.23", "198.51.100.10-198.51.100.13", "2001:db8:200::20-2001:db8:200::27")
        let counters = try EchoCounters(lab, prefixes: ["203.0.113.16/29", "2001:db8:200::20/125"])
        defer { counters.remove() }
        try await withDaemon(Self.poolsYAML([removed, kept], refresh: 1)) { daemon in
            let client = try daemon.client()
            #expect(try await PoolLab.waitUntilWarm(client, pools: 2, timeout: .seconds(5)))
            let sweepsBefore = try PoolLab.figures(client)[kept]?["sweeps_completed"]?.intValue ?? 0

            try daemon.writeConfiguration(labPolicy + "\n" + Self.poolsYAML([kept], refresh: 2) + "  - {range: \"\(added)\", refresh_s: 1}\n")
            daemon.signal(SIGHUP)
            _ = try daemon.notifications.next("RELOADING", timeout: .seconds(5))
            _ = try daemon.notifications.next("READY", value: "1", timeout: .seconds(5))
            let reloaded = ContinuousClock.now

            let info = try client.ask(#"{"op":"info"}"#)
            #expect(info["pools"]?.arrayValue?.compactMap { $0["pool"]?.stringValue } == [kept, added])
            #expect(info["pools"]?[0]?["refresh_s"]?.intValue == 2)
            // The kept pool's verdicts and progress are still there.
            let figures = try PoolLab.figures(client)
            #expect(PoolLab.verdicts(figures[kept], "in_use") == 4)
            #expect((figures[kept]?["sweeps_completed"]?.intValue ?? 0) >= sweepsBefore)
            let cached = try client.ask(checkLine(A.live4[0], extra: #","max_age_ms":2000"#))
            #expect(cached.isCached == true, "\(cached)")
            // The added pool warms within its period.
            #expect(try await PoolLab.waitUntilWarm(client, pools: 2, timeout: .seconds(3)))
            #expect(ContinuousClock.now - reloaded < .seconds(2))
            // The removed pool is no longer swept (its last probes end within 300 ms).
            try await Task.sleep(for: .milliseconds(500))
            let stopped = try counters.counts()
            try await Task.sleep(for: .seconds(2))
            let later = try counters.counts()
            #expect(later[0] == stopped[0], "echo requests to the removed pool: \(stopped[0]) then \(later[0])")
            #expect(later[1] > stopped[1], "the added pool is swept")
            #expect(PoolLab.verdicts(try PoolLab.figures(client)[added], "free") == 8)
        }
    }
}
