import ProbeProtocol
import Synchronization
import Testing

@testable import ProbeCore

/// A ``Prober`` for the checker's unit tests: each address either has a scripted outcome, given at
/// once, or its probe waits until the test releases it.
final class ScriptedProber: Prober {
    struct Call: Sendable, Hashable {
        var address: IPAddress
        var timeout: Duration
        var attempts: Int
    }

    private struct Pending {
        var address: IPAddress
        var attempts: Int
        var tag: UInt64
        var completion: ProbeCompletion
    }

    private struct Watcher {
        var addresses: [IPAddress]
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var scripted: [IPAddress: ProbeOutcome.Result] = [:]
        var calls: [Call] = []
        /// When each call's deadline starts counting (``ProbeStart/startedAt``), in call order.
        var startTimes: [UInt64] = []
        var pending: [Pending] = []
        var watchers: [Watcher] = []

        /// Removes and returns the watchers whose addresses all have a probe pending.
        mutating func satisfiedWatchers() -> [CheckedContinuation<Void, Never>] {
            let pendingAddresses = pending.map(\.address)
            var ready: [CheckedContinuation<Void, Never>] = []
            watchers.removeAll { watcher in
                var remaining = pendingAddresses
                for address in watcher.addresses {
                    guard let index = remaining.firstIndex(of: address) else { return false }
                    remaining.remove(at: index)
                }
                ready.append(watcher.continuation)
                return true
            }
            return ready
        }
    }

    private let state: Mutex<State>

    /// A prober whose probes of the addresses in `answers` end at once with the given outcome;
    /// every other probe waits for ``release(_:with:)``.
    init(answers: [IPAddress: ProbeOutcome.Result] = [:]) {
        state = Mutex(State(scripted: answers))
    }

    func start(_ probes: [ProbeStart]) {
        for probe in probes {
            let (scripted, ready) = state.withLock { state -> (ProbeOutcome.Result?, [CheckedContinuation<Void, Never>]) in
                state.calls.append(Call(address: probe.address, timeout: probe.timeout, attempts: probe.attempts))
                state.startTimes.append(probe.startedAt)
                if let scripted = state.scripted[probe.address] { return (scripted, []) }
                state.pending.append(Pending(address: probe.address, attempts: probe.attempts, tag: probe.tag, completion: probe.completion))
                return (nil, state.satisfiedWatchers())
            }
            if let scripted {
                probe.completion(ProbeOutcome(target: probe.address, result: scripted, echoesSent: probe.attempts, startedAt: 0, tag: probe.tag))
            }
            for watcher in ready { watcher.resume() }
        }
    }

    /// Makes later probes of `address` end at once with `result`.
    func answer(_ address: IPAddress, with result: ProbeOutcome.Result) {
        state.withLock { $0.scripted[address] = result }
    }

    /// Ends every waiting probe of `address` with `result`.
    ///
    /// - Returns: how many probes it ended.
    @discardableResult
    func release(_ address: IPAddress, with result: ProbeOutcome.Result) -> Int {
        let released = state.withLock { state in
            let matching = state.pending.filter { $0.address == address }
            state.pending.removeAll { $0.address == address }
            return matching
        }
        for probe in released {
            probe.completion(ProbeOutcome(target: address, result: result, echoesSent: probe.attempts, startedAt: 0, tag: probe.tag))
        }
        return released.count
    }

    /// Returns once a probe of each of `addresses` is waiting (an address listed twice: two probes).
    func waitUntilPending(_ addresses: IPAddress...) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                state.watchers.append(Watcher(addresses: addresses, continuation: continuation))
                return state.satisfiedWatchers()
            }
            for watcher in ready { watcher.resume() }
        }
    }

    /// Every probe asked for so far, in order.
    var calls: [Call] { state.withLock { $0.calls } }

    /// When the deadline of each probe of `address` starts counting, in call order.
    func startTimes(_ address: IPAddress) -> [UInt64] {
        state.withLock { state in zip(state.calls, state.startTimes).filter { $0.0.address == address }.map(\.1) }
    }

    /// How many probes of `address` were asked for.
    func callCount(_ address: IPAddress) -> Int {
        state.withLock { state in state.calls.count { $0.address == address } }
    }

    /// Probes waiting for a release.
    var pendingCount: Int { state.withLock { $0.pending.count } }
}

/// A settable monotonic clock for tests, in nanoseconds.
final class ManualClock: Sendable {
    private let reading: Mutex<UInt64>

    init(_ start: UInt64 = 1_000_000_000_000) {
        reading = Mutex(start)
    }

    var now: UInt64 { reading.withLock { $0 } }

    func advance(by duration: Duration) {
        reading.withLock { $0 += MonotonicTime.nanoseconds(duration) }
    }
}

enum CheckerFixture {
    /// Parses an address the test knows to be valid.
    static func ip(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { fatalError("bad test address \(text)") }
        return address
    }

    /// Parses a prefix the test knows to be valid.
    static func prefix(_ text: String) -> IPPrefix {
        guard let prefix = IPPrefix(text) else { fatalError("bad test prefix \(text)") }
        return prefix
    }

    /// The configuration of most checker tests: 198.51.100.0/24, 2001:db8::/32 and fe80::/10 allowed,
    /// timeout 300 ms, 2 attempts, TTLs 60 s (in use) and 10 s (free).
    static func configuration(maxEntries: Int = 1000) -> Checker.Configuration {
        Checker.Configuration(
            allow: [prefix("198.51.100.0/24"), prefix("2001:db8::/32"), prefix("fe80::/10")],
            timeoutMilliseconds: 300,
            attempts: 2,
            inUseTTLSeconds: 60,
            freeTTLSeconds: 10,
            maxEntries: maxEntries
        )
    }

    /// Runs `body` with a checker whose ``Checker/run()`` runs alongside; cancels it afterwards.
    static func withRunningChecker(
        _ configuration: Checker.Configuration = configuration(),
        prober: ScriptedProber,
        clock: ManualClock? = nil,
        _ body: (Checker) async throws -> Void
    ) async throws {
        let checker =
            if let clock {
                Checker(configuration: configuration, prober: prober, clock: { clock.now })
            } else {
                Checker(configuration: configuration, prober: prober)
            }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await checker.run() }
            try await body(checker)
            group.cancelAll()
        }
    }

    /// Yields until `condition` holds (it is met by other tasks making progress; nothing sleeps).
    static func until(
        _ condition: () -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        for _ in 0..<1_000_000 {
            if condition() { return }
            await Task.yield()
        }
        Issue.record("condition not met after a million yields", sourceLocation: sourceLocation)
    }
}

extension Result {
    /// Whether it is a success.
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    /// The error, when it is one.
    var checkerError: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
