import ProbeProtocol
import Synchronization
import Testing

@testable import ProbeCore

@Suite(.timeLimit(.minutes(1))) struct CheckerShutdownTests {
    let ip = CheckerFixture.ip

    @Test func shutdownRefusesNewProbesButFinishesThoseInFlight() async throws {
        let (running, cached, late) = (ip("198.51.100.1"), ip("198.51.100.2"), ip("198.51.100.3"))
        let prober = ScriptedProber(answers: [cached: .timeout])
        let checker = Checker(configuration: CheckerFixture.configuration(), prober: prober)
        let loop = Task { await checker.run() }
        _ = await checker.check(CheckRequest(addr: cached))
        async let waiting = checker.check(CheckRequest(addr: running))
        await prober.waitUntilPending(running)

        checker.shutdown()
        checker.shutdown()
        #expect(await checker.check(CheckRequest(addr: late)) == .failure(.unavailable("the daemon is shutting down")))
        let hit = try await checker.check(CheckRequest(addr: cached)).get()
        #expect(hit.cached, "cache hits are still answered")
        // A request about the running probe still joins it.
        async let joining = checker.check(CheckRequest(addr: running))
        await CheckerFixture.until { checker.statistics().waiting == 2 }

        prober.release(running, with: .reply(rttMicroseconds: 42))
        let expected = Verdict(addr: running, state: .inUse, evidence: .echoReply, rttMicroseconds: 42)
        #expect(await waiting == .success(expected))
        #expect(await joining == .success(expected))
        await loop.value
        #expect(prober.callCount(late) == 0)
    }

    @Test func probesStartedBeforeRunAreAnsweredEvenAfterShutdown() async throws {
        let address = ip("198.51.100.10")
        let prober = ScriptedProber()
        let checker = Checker(configuration: CheckerFixture.configuration(), prober: prober)
        async let started = checker.check(CheckRequest(addr: address))
        await prober.waitUntilPending(address)
        checker.shutdown()
        let loop = Task { await checker.run() }
        // run() waits for the probe in flight (it parks until the last one ends).
        await CheckerFixture.until { checker.state.withLock { $0.drained != nil } }
        prober.release(address, with: .timeout)
        await loop.value
        #expect(await started == .success(Verdict(addr: address, state: .free, evidence: .timeout)))
    }

    @Test func cancellingRunAnswersTheWaitersAtOnce() async throws {
        let address = ip("198.51.100.20")
        let prober = ScriptedProber()
        let checker = Checker(configuration: CheckerFixture.configuration(), prober: prober)
        let loop = Task { await checker.run() }
        async let waiting = checker.check(CheckRequest(addr: address))
        await prober.waitUntilPending(address)
        loop.cancel()
        await loop.value
        #expect(await waiting == .failure(.unavailable("the daemon is shutting down")))
        #expect(await checker.check(CheckRequest(addr: ip("198.51.100.21"))).checkerError?.code == .unavailable)
        // The probe's late verdict is dropped, not cached.
        prober.release(address, with: .timeout)
        #expect(checker.statistics().cacheEntries == 0)
    }

    @Test func runReturnsAtOnceWhenCalledTwice() async throws {
        let checker = Checker(configuration: CheckerFixture.configuration(), prober: ScriptedProber())
        let loop = Task { await checker.run() }
        await CheckerFixture.until { checker.state.withLock { $0.running } }
        await checker.run()
        checker.shutdown()
        await loop.value
    }
}
