import ProbeConfig
import ProbeProtocol
import Synchronization
import Testing

@testable import ProbeCore

/// A ``Prober`` that records each probe's priority and hands it to a ``ScriptedProber``.
final class PriorityRecordingProber: Prober {
    let scripted: ScriptedProber
    private let recorded = Mutex<[(IPAddress, ProbePriority)]>([])

    init(answers: [IPAddress: ProbeOutcome.Result] = [:]) {
        scripted = ScriptedProber(answers: answers)
    }

    func start(_ probes: [ProbeStart]) {
        recorded.withLock { $0 += probes.map { ($0.address, $0.priority) } }
        scripted.start(probes)
    }

    /// The priorities of the probes of `address`, in order.
    func priorities(_ address: IPAddress) -> [ProbePriority] {
        recorded.withLock { $0.filter { $0.0 == address }.map(\.1) }
    }

    /// Every priority asked for.
    var allPriorities: [ProbePriority] { recorded.withLock { $0.map(\.1) } }
}

enum PoolFixture {
    static let second: UInt64 = 1_000_000_000

    /// A pool the checker fixture's policy allows.
    static func pool(_ text: String, refresh: Int = 10) -> Configuration.Pool {
        let source: Configuration.Pool.Source =
            if text.contains("/") { .prefix(IPPrefix(text)!) } else { .range(IPRange(text)!) }
        return Configuration.Pool(source: source, refreshSeconds: refresh)!
    }

    /// Runs `body` with a running checker on a manual clock whose pools are `pools` (each with a
    /// verdict lifetime of `lifetime` seconds), and a runner for its sweep probes.
    static func withPoolChecker(
        pools: [Configuration.Pool],
        lifetime: UInt64 = 30,
        maxSweeping: Int = 100,
        answers: [IPAddress: ProbeOutcome.Result] = [:],
        _ body: (Checker, SweepRunner, PriorityRecordingProber, ManualClock) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        let prober = PriorityRecordingProber(answers: answers)
        let checker = Checker(configuration: CheckerFixture.configuration(), prober: prober, clock: { clock.now })
        checker.updatePools(
            pools.map { Checker.PoolMembership(pool: $0, verdictLifetime: lifetime * second) },
            maxSweeping: maxSweeping
        )
        try await SweepRunner.with(checker) { runner in
            try await body(checker, runner, prober, clock)
        }
    }

    /// A neighbour event's entry showing `address` REACHABLE with `mac`.
    static func reachable(_ address: IPAddress, mac: String = "02:00:00:00:00:42") -> NeighborEntry {
        NeighborEntry(
            address: address, interfaceIndex: 2, state: .reachable, linkLayerAddress: mac,
            confirmedAgo: .zero, usedAgo: .zero, updatedAgo: .zero)
    }
}

/// Starts the sweep probes a test admits, as the sweeper does, next to the checker's run loop.
struct SweepRunner: Sendable {
    let checker: Checker

    /// Asks the checker for a sweep probe of `address` and starts it when admitted.
    @discardableResult
    func sweep(_ address: IPAddress) -> Checker.SweepAdmission.Kind {
        let admission = checker.sweep(address)
        if case .started(let probe) = admission { start(probe) }
        return admission.kind
    }

    /// Starts an admitted sweep probe.
    func start(_ probe: Checker.SweepProbe) {
        checker.start(probe)
    }

    /// Runs `body` with `checker` running and a runner for its sweep probes.
    static func with(_ checker: Checker, _ body: (SweepRunner) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await checker.run() }
            try await body(SweepRunner(checker: checker))
            group.cancelAll()
        }
    }
}
