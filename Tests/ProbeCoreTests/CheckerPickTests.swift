import ProbeProtocol
import Testing

@testable import ProbeCore

@Suite(.timeLimit(.minutes(1))) struct CheckerPickTests {
    let ip = CheckerFixture.ip

    @Test func choosesTheFirstFreeCandidateInOrder() async throws {
        let (a, b, c) = (ip("198.51.100.1"), ip("198.51.100.2"), ip("198.51.100.3"))
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            async let picked = checker.pick(PickRequest(addrs: [a, b, c]))
            await prober.waitUntilPending(a, b, c)
            prober.release(a, with: .reply(rttMicroseconds: 100))
            prober.release(b, with: .timeout)
            let answer = try await picked.get()
            #expect(answer.addr == b)
            #expect(answer.results.count == 3)
            #expect(answer.results[0] == .settled(Verdict(addr: a, state: .inUse, evidence: .echoReply, rttMicroseconds: 100)))
            #expect(answer.results[1] == .settled(Verdict(addr: b, state: .free, evidence: .timeout)))
            #expect(answer.results[2] == .pending(c), "c's probe is still running")
            #expect(checker.statistics().picks == 1)

            // c's probe runs on, and its verdict lands in the cache.
            #expect(prober.pendingCount == 1)
            prober.release(c, with: .unreachable)
            await CheckerFixture.until { checker.statistics().inFlight == 0 }
            let later = try await checker.check(CheckRequest(addr: c)).get()
            #expect(later.cached)
            #expect(later.evidence == .unreachable)
        }
    }

    @Test func answersAtOnceWhenTheFirstCandidateIsCachedFree() async throws {
        let (a, b) = (ip("198.51.100.10"), ip("198.51.100.11"))
        let prober = ScriptedProber(answers: [a: .timeout])
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            _ = await checker.check(CheckRequest(addr: a))
            // b's probe never ends during the pick: the answer cannot wait for it.
            let answer = try await checker.pick(PickRequest(addrs: [a, b])).get()
            #expect(answer.addr == a)
            guard case .settled(let first) = answer.results[0] else {
                Issue.record("a should be settled")
                return
            }
            #expect(first.cached)
            #expect(first.state == .free)
            #expect(answer.results[1] == .pending(b))
            // b was probed all the same.
            await prober.waitUntilPending(b)
            #expect(prober.callCount(b) == 1)
            prober.release(b, with: .reply(rttMicroseconds: 5))
        }
    }

    @Test func waitsForAnEarlierPendingCandidateBeforeAnsweringALaterFreeOne() async throws {
        let (a, b) = (ip("198.51.100.20"), ip("198.51.100.21"))
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let picking = Task { await checker.pick(PickRequest(addrs: [a, b])) }
            await prober.waitUntilPending(a, b)
            prober.release(b, with: .timeout)
            await CheckerFixture.until { checker.statistics().verdicts[state: .free] == 1 }
            for _ in 0..<100 { await Task.yield() }
            #expect(checker.statistics().waiting == 1, "the pick still waits for a")
            prober.release(a, with: .reply(rttMicroseconds: 300))
            let answer = try await picking.value.get()
            #expect(answer.addr == b)
            #expect(answer.results == [
                .settled(Verdict(addr: a, state: .inUse, evidence: .echoReply, rttMicroseconds: 300)),
                .settled(Verdict(addr: b, state: .free, evidence: .timeout)),
            ])
        }
    }

    @Test func anEarlierFreeCandidateWinsOverALaterOne() async throws {
        let (a, b) = (ip("198.51.100.25"), ip("198.51.100.26"))
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let picking = Task { await checker.pick(PickRequest(addrs: [a, b])) }
            await prober.waitUntilPending(a, b)
            prober.release(b, with: .timeout)
            await CheckerFixture.until { checker.statistics().verdicts[state: .free] == 1 }
            prober.release(a, with: .unreachable)
            let answer = try await picking.value.get()
            #expect(answer.addr == a)
        }
    }

    @Test func answersNullWhenNoCandidateIsFree() async throws {
        let (a, b, c) = (ip("198.51.100.30"), ip("198.51.100.31"), ip("2001:db8::32"))
        let prober = ScriptedProber(answers: [
            a: .reply(rttMicroseconds: 10),
            b: .sendFailed(reason: "network unreachable"),
            c: .neighbor(mac: "02:00:00:00:00:32"),
        ])
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let answer = try await checker.pick(PickRequest(addrs: [a, b, c])).get()
            #expect(answer.addr == nil)
            #expect(answer.results == [
                .settled(Verdict(addr: a, state: .inUse, evidence: .echoReply, rttMicroseconds: 10)),
                .settled(Verdict(addr: b, state: .unknown, evidence: .sendFailed, reason: "network unreachable")),
                .settled(Verdict(addr: c, state: .inUse, evidence: .neighbor, mac: "02:00:00:00:00:32")),
            ])
        }
    }

    @Test func oneRefusedCandidateRefusesTheWholeRequestBeforeAnyProbe() async throws {
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let refused = await checker.pick(PickRequest(addrs: [ip("198.51.100.40"), ip("203.0.113.9"), ip("198.51.100.41")]))
            #expect(refused == .failure(.notAllowed("203.0.113.9 is outside the allowed prefixes")))
            let multicast = await checker.pick(PickRequest(addrs: [ip("198.51.100.40"), ip("224.0.0.1")]))
            #expect(multicast == .failure(.notAllowed("224.0.0.1 is a multicast address")))
            #expect(prober.calls.isEmpty)
            let statistics = checker.statistics()
            #expect(statistics.probesStarted == 0)
            #expect(statistics.inFlight == 0)
            #expect(statistics.errors[.notAllowed] == 2)
        }
    }

    @Test func duplicatedCandidatesShareOneProbe() async throws {
        let (a, b) = (ip("198.51.100.50"), ip("198.51.100.51"))
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            async let picked = checker.pick(PickRequest(addrs: [a, b, a]))
            await prober.waitUntilPending(a, b)
            prober.release(a, with: .reply(rttMicroseconds: 7))
            prober.release(b, with: .reply(rttMicroseconds: 8))
            let answer = try await picked.get()
            #expect(answer.addr == nil)
            #expect(answer.results.map(\.addr) == [a, b, a])
            #expect(answer.results[0] == answer.results[2])
            #expect(prober.callCount(a) == 1)
        }
    }

    @Test func aCandidateTheEngineRefusesCountsAsNotFree() async throws {
        let (a, b) = (ip("2001:db8::60"), ip("198.51.100.61"))
        let prober = ScriptedProber(answers: [a: .unavailable(reason: "IPv6 probing is turned off (probe.ipv6)"), b: .timeout])
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let answer = try await checker.pick(PickRequest(addrs: [a, b])).get()
            #expect(answer.addr == b)
            #expect(answer.results[0] == .settled(Verdict(addr: a, state: .unknown, evidence: .notSent, reason: "IPv6 probing is turned off (probe.ipv6)")))
        }
    }

    @Test func failsWhenEveryCandidateIsRefusedByTheEngine() async throws {
        let (a, b) = (ip("198.51.100.70"), ip("198.51.100.71"))
        let prober = ScriptedProber(answers: [a: .overloaded, b: .overloaded])
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let answer = await checker.pick(PickRequest(addrs: [a, b]))
            #expect(answer.checkerError?.code == .overloaded)
        }
    }

    @Test func aPickJoinsAProbeInFlightAndUsesTheCacheWithMaxAge() async throws {
        let (a, b) = (ip("198.51.100.80"), ip("198.51.100.81"))
        let prober = ScriptedProber(answers: [b: .timeout])
        let clock = ManualClock()
        try await CheckerFixture.withRunningChecker(prober: prober, clock: clock) { checker in
            _ = await checker.check(CheckRequest(addr: b))
            async let checked = checker.check(CheckRequest(addr: a))
            await prober.waitUntilPending(a)
            clock.advance(by: .seconds(2))
            // b's cached verdict is 2 s old: too old for max_age_ms 1000, so b is probed afresh.
            async let picked = checker.pick(PickRequest(addrs: [a, b], maxAgeMilliseconds: 1_000))
            await CheckerFixture.until { checker.statistics().coalesced == 1 }
            prober.release(a, with: .reply(rttMicroseconds: 1))
            let answer = try await picked.get()
            #expect(answer.addr == b)
            #expect(answer.results[1].verdict?.cached == false)
            let checkedVerdict = try await checked.get()
            #expect(checkedVerdict.state == .inUse)
            #expect(prober.callCount(a) == 1)
            #expect(prober.callCount(b) == 2)
        }
    }

    @Test func aPickCountsItsDeadlineFromWhenItWasRead() async throws {
        let (a, b, c) = (ip("198.51.100.90"), ip("198.51.100.91"), ip("198.51.100.92"))
        let prober = ScriptedProber(answers: [a: .timeout, b: .timeout, c: .timeout])
        let clock = ManualClock()
        try await CheckerFixture.withRunningChecker(prober: prober, clock: clock) { checker in
            let readAt = clock.now
            // The pick's task gets to run 40 ms after its line was read.
            clock.advance(by: .milliseconds(40))
            let answer = try await checker.pick(PickRequest(addrs: [a, b]), receivedAt: readAt).get()
            #expect(answer.addr == a)
            #expect(prober.startTimes(a) == [readAt])
            #expect(prober.startTimes(b) == [readAt])
            // Without a read time, the deadline counts from now.
            let now = clock.now
            _ = try await checker.pick(PickRequest(addrs: [c])).get()
            #expect(prober.startTimes(c) == [now])
        }
    }

    @Test func aLaterCandidateWhoseVerdictIsCachedIsListedNotPending() async throws {
        let (a, b, c) = (ip("198.51.100.93"), ip("198.51.100.94"), ip("198.51.100.95"))
        let prober = ScriptedProber(answers: [a: .timeout, b: .reply(rttMicroseconds: 50)])
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            _ = await checker.check(CheckRequest(addr: a))
            _ = await checker.check(CheckRequest(addr: b))
            // a is free from the cache: the choice is made at once, and b's cached verdict is
            // known then; c's probe runs on.
            let answer = try await checker.pick(PickRequest(addrs: [a, b, c])).get()
            #expect(answer.addr == a)
            #expect(answer.results[0].verdict?.state == .free)
            #expect(answer.results[1].verdict?.state == .inUse, "\(answer.results[1])")
            #expect(answer.results[1].verdict?.cached == true)
            #expect(answer.results[2] == .pending(c))
            prober.release(c, with: .timeout)
        }
    }
}
