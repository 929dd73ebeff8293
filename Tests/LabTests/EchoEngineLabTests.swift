import Foundation
import LabSupport
import ProbeProtocol
import Synchronization
import Testing

@testable import ProbeCore

/// The echo engine against real kernel sockets in the lab, in both socket modes and both families.
@Suite(.serialized, .lab)
struct EchoEngineLabTests {
    typealias A = Lab.Addresses

    @Test(arguments: SocketMode.allCases)
    func opensTheSocketKindTheNamespaceAllows(mode: SocketMode) async throws {
        try await withEngine(mode) { engine in
            #expect(engine.socketKinds[.ipv4] == mode.kind)
            #expect(engine.socketKinds[.ipv6] == mode.kind)
            // The receive buffer is sized for bursts, far past the 208 KiB default.
            #expect((engine.receiveBufferBytes[.ipv4] ?? 0) >= 4 << 20)
            // IPv4 echoes leave with Don't Fragment (no IP identification drawn for each).
            let descriptor = try #require(engine.state.withLock { $0.sockets[0]?.descriptor })
            var discovery: Int32 = -1
            var length = socklen_t(MemoryLayout<Int32>.size)
            #expect(getsockopt(descriptor, Int32(IPPROTO_IP), IP_MTU_DISCOVER, &discovery, &length) == 0)
            #expect(discovery == Int32(IP_PMTUDISC_DO))
        }
    }

    @Test(arguments: SocketMode.allCases, [A.live4[0], A.live6[0]])
    func liveHostIsInUseWithRTT(mode: SocketMode, address: IPAddress) async throws {
        try await withEngine(mode) { engine in
            let outcome = await engine.probe(address, timeout: .milliseconds(1000), attempts: 2)
            guard case .reply(let rtt) = outcome.result else {
                Issue.record("expected an echo reply from \(address), got \(outcome.result)")
                return
            }
            #expect(rtt > 0 && rtt < 1_000_000)
            #expect(outcome.echoesSent >= 1)
        }
    }

    @Test(arguments: SocketMode.allCases, [A.sink4, A.sink6])
    func silentSinkIsFreeAtTheDeadline(mode: SocketMode, address: IPAddress) async throws {
        try await withEngine(mode) { engine in
            let clock = ContinuousClock()
            let start = clock.now
            let outcome = await engine.probe(address, timeout: .milliseconds(200), attempts: 2)
            let elapsed = milliseconds(clock.now - start)
            #expect(outcome.result == .timeout)
            #expect(outcome.echoesSent == 2)
            #expect(elapsed >= 199 && elapsed <= 220, "finished after \(elapsed) ms for a 200 ms deadline")
        }
    }

    @Test(arguments: SocketMode.allCases, [A.silent4[0], A.silent6[0]])
    func silentOnLinkAddressIsFreeAtTheDeadlineNotAfterARP(mode: SocketMode, address: IPAddress) async throws {
        try await withEngine(mode) { engine in
            let clock = ContinuousClock()
            let start = clock.now
            let outcome = await engine.probe(address, timeout: .milliseconds(300), attempts: 2)
            let elapsed = milliseconds(clock.now - start)
            #expect(outcome.result == .timeout)
            #expect(elapsed >= 299 && elapsed <= 350, "finished after \(elapsed) ms; ARP gives up only after ~3 s")
        }
    }

    @Test(arguments: SocketMode.allCases, [A.noRoute4, A.noRoute6])
    func noRouteIsUnknown(mode: SocketMode, address: IPAddress) async throws {
        try await withEngine(mode) { engine in
            let outcome = await engine.probe(address, timeout: .milliseconds(300), attempts: 2)
            #expect(outcome.result == .sendFailed(reason: "network is unreachable"))
            #expect(outcome.echoesSent == 0)
        }
    }

    @Test(arguments: SocketMode.allCases, [(A.prohibit4, A.live4[1]), (A.prohibit6, A.live6[1])])
    func prohibitRouteIsUnknownAndTheSocketKeepsWorking(mode: SocketMode, pair: (IPAddress, IPAddress)) async throws {
        try await withEngine(mode) { engine in
            let refused = await engine.probe(pair.0, timeout: .milliseconds(300), attempts: 2)
            #expect(refused.result.isSendFailure, "prohibit route gave \(refused.result)")
            // The shared socket survives the send error: probes to live hosts still succeed.
            for _ in 0..<3 {
                let live = await engine.probe(pair.1, timeout: .milliseconds(1000), attempts: 2)
                #expect(live.result.isReply)
            }
        }
    }

    @Test(arguments: SocketMode.allCases, [A.unreachable4, A.unreachable6])
    func unreachableRouteIsUnreachable(mode: SocketMode, address: IPAddress) async throws {
        try await withEngine(mode) { engine in
            let outcome = await engine.probe(address, timeout: .milliseconds(300), attempts: 2)
            // An `unreachable` route fails the send with EHOSTUNREACH twice in a row (the retry rules
            // out a pending error from another target): the target's own, so free/unreachable.
            #expect(outcome.result == .unreachable)
            #expect(engine.statistics().retriedSends >= 1)
        }
    }

    @Test(arguments: SocketMode.allCases)
    func twoThousandConcurrentLiveProbesAllAnswer(mode: SocketMode) async throws {
        try await withEngine(mode) { engine in
            // Inside the lab namespace all of 127.0.0.0/8 answers on loopback.
            let targets = (1...2000).map { IPAddress.v4(IPv4Address(0x7F01_0000 | UInt32($0))) }
            let outcomes = await withTaskGroup(of: ProbeOutcome.self, returning: [ProbeOutcome].self) { group in
                for target in targets {
                    group.addTask { await engine.probe(target, timeout: .milliseconds(2000), attempts: 2) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let replies = outcomes.filter(\.result.isReply)
            #expect(replies.count == 2000)
            #expect(Set(replies.map(\.target)) == Set(targets))
            #expect(engine.statistics().inFlight == 0)
        }
    }

    @Test(arguments: SocketMode.allCases)
    func twoThousandConcurrentSilentProbesAreFreeByTheDeadline(mode: SocketMode) async throws {
        try await withEngine(mode) { engine in
            let targets = A.sinkAddresses4(count: 2000)
            let clock = ContinuousClock()
            let timings = await withTaskGroup(of: (ProbeOutcome, Double).self, returning: [(ProbeOutcome, Double)].self) { group in
                for target in targets {
                    group.addTask {
                        let start = clock.now
                        let outcome = await engine.probe(target, timeout: .milliseconds(300), attempts: 1)
                        return (outcome, milliseconds(clock.now - start))
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(timings.filter { $0.0.result == .timeout }.count == 2000)
            let slowest = timings.map(\.1).max() ?? 0
            #expect(slowest <= 350, "slowest silent probe took \(slowest) ms for a 300 ms deadline")
        }
    }

    @Test(arguments: SocketMode.allCases)
    func strayReplyWithTheWrongTokenDoesNotMakeASilentTargetInUse(mode: SocketMode) async throws {
        let lab = try Lab.required
        try await withEngine(mode) { engine in
            for (forgery, expected) in [("wrong-token", ProbeOutcome.Result.timeout), ("copy", nil)] {
                let stray = try LabProcess.start(
                    mode.namespace(in: lab),
                    ["python3", Lab.strayReplyScript.path, "--iface", Lab.sinkInterface, "--target", "203.0.113.5", "--mode", forgery]
                )
                _ = try await stray.waitForLine(containing: "ready")
                let outcome = await engine.probe(A.sink4, timeout: .milliseconds(1000), attempts: 1)
                _ = try await stray.waitForLine(containing: "sent seq=")
                if let expected {
                    // Right sequence and source, wrong token: ignored, the target stays silent.
                    #expect(outcome.result == expected)
                    #expect(engine.statistics().ignoredReplies >= 1)
                } else {
                    // The control: the same forgery with the right token is taken as a reply.
                    #expect(outcome.result.isReply, "an exact copy should match, got \(outcome.result)")
                }
                _ = try await stray.waitForExit()
            }
        }
    }

    @Test func probesThePacerKeptFromSendingInTimeAreUnknownNeverFree() async throws {
        // 20 echoes a second, and 40 silent targets with 200 ms each: only the first few can be asked.
        try await withEngine(.dgram, configuration: .init(maxPacketsPerSecond: 20)) { engine in
            let targets = A.sinkAddresses4(count: 240)[200..<240]
            let outcomes = await withTaskGroup(of: ProbeOutcome.self, returning: [ProbeOutcome].self) { group in
                for target in targets {
                    group.addTask { await engine.probe(target, timeout: .milliseconds(200), attempts: 1) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let free = outcomes.filter { $0.result == .timeout }
            let notSent = outcomes.filter { $0.result == .notSent(reason: "not sent in time") }
            #expect(free.count + notSent.count == targets.count)
            #expect(free.count <= 4, "\(free.count) free at 20 echoes/s in 100 ms")
            #expect(notSent.count >= targets.count - 4)
            // Every free verdict rests on an echo that really left.
            #expect(free.allSatisfy { $0.echoesSent == 1 })
        }
    }

    @Test func onLinkProbesStayWithinHalfTheNeighbourTable() async throws {
        try await withEngine(.dgram) { engine in
            let budget = engine.onLinkProbeBudget
            #expect(budget == 512, "half of the default gc_thresh3 (1024)")
            // More silent on-link targets at once than the budget: the excess is refused, explicitly.
            let targets = (0..<(budget + 88)).map { IPAddress.v6(IPv6Address(high: 0x2001_0DB8_0100_0000, low: 0x1_0000 + UInt64($0))) }
            let outcomes = await withTaskGroup(of: ProbeOutcome.self, returning: [ProbeOutcome].self) { group in
                for target in targets {
                    group.addTask { await engine.probe(target, timeout: .milliseconds(300), attempts: 1) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0.result == .overloaded }.count == 88)
            #expect(outcomes.filter { $0.result == .timeout }.count == budget, "\(Dictionary(grouping: outcomes, by: { "\($0.result)" }).mapValues(\.count))")
            // Routed targets (the sink) do not count against it.
            let routed = await engine.probe(A.sink6, timeout: .milliseconds(200), attempts: 1)
            #expect(routed.result == .timeout)
            #expect(engine.statistics().onLinkInFlight == 0)
        }
    }

    @Test func overloadIsExplicitAndSlotsComeBack() async throws {
        try await withEngine(.dgram, configuration: .init(maxInFlight: 10)) { engine in
            try await withThrowingTaskGroup(of: ProbeOutcome.self) { group in
                for index in 0..<10 {
                    let target = A.sinkAddresses4(count: 10)[index]
                    group.addTask { await engine.probe(target, timeout: .milliseconds(400), attempts: 1) }
                }
                // Wait until all ten hold their slots, then ask for an eleventh.
                while engine.statistics().inFlight < 10 { await Task.yield() }
                let refused = await engine.probe(A.sink4, timeout: .milliseconds(400), attempts: 1)
                #expect(refused.result == .overloaded)
                for try await outcome in group { #expect(outcome.result == .timeout) }
            }
            #expect(engine.statistics().inFlight == 0)
            let after = await engine.probe(A.live4[0], timeout: .milliseconds(1000), attempts: 1)
            #expect(after.result.isReply)
        }
    }
}

/// Neighbour evidence inside the engine: decided at the deadline from the kernel's table.
@Suite(.serialized, .lab)
struct EchoEngineNeighborLabTests {
    typealias A = Lab.Addresses

    @Test(arguments: SocketMode.allCases, [A.quiet4, A.quiet6])
    func anEchoDroppingHostIsConfirmedByItsNeighbourEntry(mode: SocketMode, address: IPAddress) async throws {
        try await withEngine(mode) { engine in
            let outcome = await engine.probe(address, timeout: .milliseconds(300), attempts: 2)
            #expect(outcome.result == .neighbor(mac: A.quietMAC))
        }
    }

    @Test(arguments: [A.quiet4, A.quiet6])
    func turnedOffItIsSilence(address: IPAddress) async throws {
        try await withEngine(.dgram, configuration: .init(neighborEvidence: false)) { engine in
            let outcome = await engine.probe(address, timeout: .milliseconds(300), attempts: 2)
            #expect(outcome.result == .timeout)
            #expect(!engine.neighborEvidenceActive)
        }
    }
}
