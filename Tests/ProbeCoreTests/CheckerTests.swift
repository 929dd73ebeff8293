import ProbeProtocol
import Testing

@testable import ProbeCore

@Suite(.timeLimit(.minutes(1))) struct CheckerTests {
    let ip = CheckerFixture.ip
    let prefix = CheckerFixture.prefix

    @Test func refusesAnAddressOutsideThePolicyWithoutProbing() async throws {
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let outside = await checker.check(CheckRequest(addr: ip("203.0.113.9")))
            #expect(outside == .failure(.notAllowed("203.0.113.9 is outside the allowed prefixes")))
            let multicast = await checker.check(CheckRequest(addr: ip("ff02::1")))
            #expect(multicast == .failure(.notAllowed("ff02::1 is a multicast address")))
            #expect(prober.calls.isEmpty)
            let statistics = checker.statistics()
            #expect(statistics.checks == 2)
            #expect(statistics.errors[.notAllowed] == 2)
        }
    }

    @Test(arguments: [
        (ProbeOutcome.Result.reply(rttMicroseconds: 412), Verdict(addr: CheckerFixture.ip("198.51.100.10"), state: .inUse, evidence: .echoReply, rttMicroseconds: 412)),
        (.neighbor(mac: "02:00:00:00:00:14"), Verdict(addr: CheckerFixture.ip("198.51.100.10"), state: .inUse, evidence: .neighbor, mac: "02:00:00:00:00:14")),
        (.timeout, Verdict(addr: CheckerFixture.ip("198.51.100.10"), state: .free, evidence: .timeout)),
        (.unreachable, Verdict(addr: CheckerFixture.ip("198.51.100.10"), state: .free, evidence: .unreachable)),
        (.sendFailed(reason: "network unreachable"), Verdict(addr: CheckerFixture.ip("198.51.100.10"), state: .unknown, evidence: .sendFailed, reason: "network unreachable")),
        (.notSent(reason: "not sent in time"), Verdict(addr: CheckerFixture.ip("198.51.100.10"), state: .unknown, evidence: .notSent, reason: "not sent in time")),
    ])
    func mapsEachOutcomeToAFreshVerdict(outcome: ProbeOutcome.Result, expected: Verdict) async throws {
        let address = ip("198.51.100.10")
        let prober = ScriptedProber(answers: [address: outcome])
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let first = await checker.check(CheckRequest(addr: address))
            #expect(first == .success(expected))
            // Known verdicts are cached; unknown ones are not.
            let second = await checker.check(CheckRequest(addr: address))
            if expected.state == .unknown {
                #expect(second == .success(expected))
                #expect(prober.callCount(address) == 2)
            } else {
                let verdict = try second.get()
                #expect(verdict.cached)
                #expect(verdict.state == expected.state)
                #expect(verdict.evidence == expected.evidence)
                #expect(verdict.rttMicroseconds == expected.rttMicroseconds)
                #expect(verdict.mac == expected.mac)
                #expect(prober.callCount(address) == 1)
                #expect(checker.statistics().cacheHits == 1)
            }
        }
    }

    @Test func mapsEngineRefusalsToErrorsThatAreNotCached() async throws {
        let busy = ip("198.51.100.11")
        let gone = ip("2001:db8::11")
        let prober = ScriptedProber(answers: [busy: .overloaded, gone: .unavailable(reason: "IPv6 probing is turned off (probe.ipv6)")])
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let overloaded = await checker.check(CheckRequest(addr: busy))
            #expect(overloaded.checkerError?.code == .overloaded)
            let unavailable = await checker.check(CheckRequest(addr: gone))
            #expect(unavailable == .failure(.unavailable("IPv6 probing is turned off (probe.ipv6)")))
            _ = await checker.check(CheckRequest(addr: busy))
            #expect(prober.callCount(busy) == 2)
            let statistics = checker.statistics()
            #expect(statistics.errors[.overloaded] == 2)
            #expect(statistics.errors[.unavailable] == 1)
            #expect(statistics.probeErrors[.overloaded] == 2)
            #expect(statistics.cacheEntries == 0)
        }
    }

    @Test func usesTheConfiguredDefaultsOrTheRequestsOwnTimeoutAndAttempts() async throws {
        let first = ip("198.51.100.1")
        let second = ip("198.51.100.2")
        let prober = ScriptedProber(answers: [first: .timeout, second: .timeout])
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            _ = await checker.check(CheckRequest(addr: first))
            _ = await checker.check(CheckRequest(addr: second, timeoutMilliseconds: 1500, attempts: 5))
        }
        #expect(prober.calls == [
            ScriptedProber.Call(address: first, timeout: .milliseconds(300), attempts: 2),
            ScriptedProber.Call(address: second, timeout: .milliseconds(1500), attempts: 5),
        ])
    }

    @Test func fiftyConcurrentChecksOfOneAddressShareOneProbe() async throws {
        let address = ip("198.51.100.50")
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            try await withThrowingTaskGroup(of: Verdict.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await checker.check(CheckRequest(addr: address)).get() }
                }
                await prober.waitUntilPending(address)
                await CheckerFixture.until { checker.statistics().waiting == 50 }
                #expect(prober.release(address, with: .reply(rttMicroseconds: 800)) == 1)
                var answers = 0
                for try await verdict in group {
                    #expect(verdict == Verdict(addr: address, state: .inUse, evidence: .echoReply, rttMicroseconds: 800))
                    answers += 1
                }
                #expect(answers == 50)
            }
            #expect(prober.callCount(address) == 1)
            let statistics = checker.statistics()
            #expect(statistics.probesStarted == 1)
            #expect(statistics.coalesced == 49)
            #expect(statistics.checks == 50)
            #expect(statistics.waiting == 0)
            #expect(statistics.inFlight == 0)
            #expect(statistics.roundTrip?.p50 == 800)
        }
    }

    @Test func maxAgeZeroSkipsTheCacheButJoinsAProbeInFlight() async throws {
        let address = ip("198.51.100.60")
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            async let first = checker.check(CheckRequest(addr: address))
            await prober.waitUntilPending(address)
            async let second = checker.check(CheckRequest(addr: address, maxAgeMilliseconds: 0))
            await CheckerFixture.until { checker.statistics().waiting == 2 }
            prober.release(address, with: .timeout)
            let expected = Verdict(addr: address, state: .free, evidence: .timeout)
            #expect(await first == .success(expected))
            #expect(await second == .success(expected))
            #expect(prober.callCount(address) == 1)
            #expect(checker.statistics().coalesced == 1)

            // Now cached: a plain check uses it, max_age_ms 0 probes afresh.
            let hit = try await checker.check(CheckRequest(addr: address)).get()
            #expect(hit.cached)
            async let fresh = checker.check(CheckRequest(addr: address, maxAgeMilliseconds: 0))
            await prober.waitUntilPending(address)
            prober.release(address, with: .reply(rttMicroseconds: 90))
            let freshVerdict = try await fresh.get()
            #expect(freshVerdict == Verdict(addr: address, state: .inUse, evidence: .echoReply, rttMicroseconds: 90))
            #expect(prober.callCount(address) == 2)
        }
    }

    @Test func cachedVerdictsCarryTheirAgeAndExpireWithTheirTTL() async throws {
        let address = ip("198.51.100.70")
        let prober = ScriptedProber(answers: [address: .timeout])
        let clock = ManualClock()
        try await CheckerFixture.withRunningChecker(prober: prober, clock: clock) { checker in
            let first = try await checker.check(CheckRequest(addr: address)).get()
            #expect(first.cached == false)
            clock.advance(by: .milliseconds(4_250))
            let cached = try await checker.check(CheckRequest(addr: address)).get()
            #expect(cached.cached)
            #expect(cached.ageMilliseconds == 4_250)
            // max_age_ms below the age: probe afresh.
            let young = try await checker.check(CheckRequest(addr: address, maxAgeMilliseconds: 4_000)).get()
            #expect(young.cached == false)
            #expect(prober.callCount(address) == 2)
            // Past the free TTL (10 s): probe afresh.
            clock.advance(by: .seconds(10))
            let expired = try await checker.check(CheckRequest(addr: address)).get()
            #expect(expired.cached == false)
            #expect(prober.callCount(address) == 3)
        }
    }

    @Test func aCancelledWaiterLeavesTheProbeRunningForTheOthers() async throws {
        let address = ip("198.51.100.80")
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let leaving = Task { await checker.check(CheckRequest(addr: address)) }
            let staying = Task { await checker.check(CheckRequest(addr: address)) }
            await prober.waitUntilPending(address)
            await CheckerFixture.until { checker.statistics().waiting == 2 }
            leaving.cancel()
            #expect(await leaving.value.checkerError?.code == .unavailable)
            // Waiters hold no task: one that left counts as waiting until its probe ends.
            #expect(checker.statistics().waiting == 2)
            #expect(prober.pendingCount == 1, "the probe was not cancelled")

            prober.release(address, with: .neighbor(mac: "02:00:00:00:00:80"))
            let stayed = try await staying.value.get()
            #expect(stayed == Verdict(addr: address, state: .inUse, evidence: .neighbor, mac: "02:00:00:00:00:80"))
            let again = try await checker.check(CheckRequest(addr: address)).get()
            #expect(again.cached)
            #expect(again.mac == "02:00:00:00:00:80")
            #expect(prober.callCount(address) == 1)
        }
    }

    @Test func theVerdictOfAnAbandonedProbeLandsInTheCache() async throws {
        let address = ip("198.51.100.81")
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let only = Task { await checker.check(CheckRequest(addr: address)) }
            await prober.waitUntilPending(address)
            only.cancel()
            #expect(await only.value.checkerError?.code == .unavailable)
            #expect(checker.statistics().inFlight == 1)
            prober.release(address, with: .timeout)
            await CheckerFixture.until { checker.statistics().inFlight == 0 }
            let later = try await checker.check(CheckRequest(addr: address)).get()
            #expect(later.cached)
            #expect(later.state == .free)
            #expect(prober.callCount(address) == 1)
        }
    }

    @Test func aCheckCancelledBeforeItWaitsStillStartsTheProbe() async throws {
        let address = ip("198.51.100.82")
        let prober = ScriptedProber()
        try await CheckerFixture.withRunningChecker(prober: prober) { checker in
            let cancelled = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await checker.check(CheckRequest(addr: address))
            }
            #expect(await cancelled.value.checkerError?.code == .unavailable)
            await prober.waitUntilPending(address)
            prober.release(address, with: .unreachable)
            await CheckerFixture.until { checker.statistics().inFlight == 0 }
            let landed = try await checker.check(CheckRequest(addr: address)).get()
            #expect(landed.evidence == .unreachable)
            #expect(checker.statistics().waiting == 0)
        }
    }

    @Test func marksHoldWhateverMaxAgeSaysUntilForgotten() async throws {
        let address = ip("198.51.100.90")
        let prober = ScriptedProber(answers: [address: .timeout])
        let clock = ManualClock()
        try await CheckerFixture.withRunningChecker(prober: prober, clock: clock) { checker in
            #expect(checker.mark(MarkRequest(addr: address, state: .inUse, ttlMilliseconds: 600_000)).isSuccess)
            clock.advance(by: .seconds(120))
            let marked = try await checker.check(CheckRequest(addr: address, maxAgeMilliseconds: 0)).get()
            #expect(marked.state == .inUse)
            #expect(marked.evidence == .marked)
            #expect(marked.cached)
            #expect(marked.ageMilliseconds == 120_000)
            #expect(prober.calls.isEmpty)

            #expect(checker.forget(.address(address)) == 1)
            #expect(checker.forget(.address(address)) == 0)
            let probed = try await checker.check(CheckRequest(addr: address)).get()
            #expect(probed.evidence == .timeout)
            #expect(prober.callCount(address) == 1)
        }
    }

    @Test func aMarkWithoutTTLLastsItsStatesTTL() async throws {
        let address = ip("198.51.100.91")
        let prober = ScriptedProber(answers: [address: .reply(rttMicroseconds: 10)])
        let clock = ManualClock()
        try await CheckerFixture.withRunningChecker(prober: prober, clock: clock) { checker in
            #expect(checker.mark(MarkRequest(addr: address, state: .free)).isSuccess)
            clock.advance(by: .milliseconds(9_999))
            let marked = try await checker.check(CheckRequest(addr: address)).get()
            #expect(marked.evidence == .marked)
            clock.advance(by: .milliseconds(1))
            let probed = try await checker.check(CheckRequest(addr: address)).get()
            #expect(probed.evidence == .echoReply)
        }
    }

    @Test func marksFollowThePolicyAndRefuseBadValues() async throws {
        let checker = Checker(configuration: CheckerFixture.configuration(), prober: ScriptedProber())
        #expect(checker.mark(MarkRequest(addr: ip("203.0.113.9"), state: .inUse)).checkerError == .notAllowed("203.0.113.9 is outside the allowed prefixes"))
        #expect(checker.mark(MarkRequest(addr: ip("198.51.100.1"), state: .unknown)).checkerError?.code == .badRequest)
        #expect(checker.mark(MarkRequest(addr: ip("198.51.100.1"), state: .free, ttlMilliseconds: 0)).checkerError?.code == .badRequest)
        #expect(checker.statistics().cacheEntries == 0)
        #expect(checker.statistics().marks == 3)
    }

    @Test func forgetsByPrefixAndAll() {
        let checker = Checker(configuration: CheckerFixture.configuration(), prober: ScriptedProber())
        for last in 1...4 { _ = checker.mark(MarkRequest(addr: ip("198.51.100.\(last)"), state: .free)) }
        _ = checker.mark(MarkRequest(addr: ip("fe80::1%eth0"), state: .inUse))
        _ = checker.mark(MarkRequest(addr: ip("2001:db8::1"), state: .inUse))
        #expect(checker.forget(.prefix(prefix("198.51.100.2/31"))) == 2)
        #expect(checker.forget(.prefix(prefix("fe80::/10"))) == 1)
        #expect(checker.forget(.address(ip("fe80::1"))) == 0)
        #expect(checker.forget(.all) == 3)
        #expect(checker.forget(.all) == 0)
        #expect(checker.statistics().forgets == 5)
    }

    @Test func aReloadAppliesThePolicyAndLimitsButKeepsTheCache() async throws {
        let prober = ScriptedProber()
        let checker = Checker(configuration: CheckerFixture.configuration(), prober: prober)
        for last in 1...5 { _ = checker.mark(MarkRequest(addr: ip("198.51.100.\(last)"), state: .free)) }
        var narrower = CheckerFixture.configuration(maxEntries: 2)
        narrower.allow = [prefix("198.51.100.0/30")]
        narrower.timeoutMilliseconds = 900
        checker.update(configuration: narrower)
        #expect(checker.configuration == narrower)
        let statistics = checker.statistics()
        #expect(statistics.cacheEntries == 2)
        #expect(statistics.cacheEvictions == 3)
        #expect(checker.mark(MarkRequest(addr: ip("198.51.100.9"), state: .free)).checkerError?.code == .notAllowed)
        let refused = await checker.check(CheckRequest(addr: ip("198.51.100.9")))
        #expect(refused == .failure(.notAllowed("198.51.100.9 is outside the allowed prefixes")))
    }
}
