package import Logging
package import ProbeConfig
import ProbeProtocol
import ServiceLifecycle
import Synchronization

/// Keeps the verdicts of the warm pools fresh (docs/pools.md): re-probes every address of every pool
/// at least every `refresh_s`, one address at a time, spread evenly over the period, within
/// `pools_max_pps` (``PoolSchedule``).
///
/// Sweep probes are admitted by the ``Checker`` (``Checker/sweep(_:)``), so they share the echo
/// engine, the neighbour evidence and the coalescing of on-demand checks; they run without tasks
/// (``Checker/start(_:ended:)``). They
/// run at background priority (their echoes wait while an on-demand echo is queued) and at most
/// ``Configuration/maxSweeping(probesPerSecond:)`` of them are in flight, so on-demand checks always find room. An
/// address with a live `mark` is skipped until the mark expires.
///
/// As a `Service`, add it after the checker: when a graceful shutdown begins it stops starting
/// probes and returns; the checker then waits for those in flight (within the probe deadline).
package final class PoolSweeper: Sendable {
    /// What the sweeper needs of the daemon's configuration.
    package struct Configuration: Sendable, Equatable {
        /// `pools`.
        package var pools: [ProbeConfig.Configuration.Pool]
        /// `pools_max_pps`: echo requests per second for all pools together.
        package var maxEchoesPerSecond: Int
        /// `probe.attempts`: echo requests per sweep probe.
        package var attempts: Int
        /// `probe.timeout_ms`: the deadline of a sweep probe.
        package var timeout: Duration
        /// `probe.max_in_flight`: sweeps use at most a quarter of it.
        package var maxInFlight: Int
        /// `cache.max_entries`: the pools' verdicts must fit, with room to spare.
        package var cacheEntries: Int

        package init(
            pools: [ProbeConfig.Configuration.Pool],
            maxEchoesPerSecond: Int = 5000,
            attempts: Int = 2,
            timeout: Duration = .milliseconds(300),
            maxInFlight: Int = 30_000,
            cacheEntries: Int = 200_000
        ) {
            self.pools = pools
            self.maxEchoesPerSecond = maxEchoesPerSecond
            self.attempts = attempts
            self.timeout = timeout
            self.maxInFlight = maxInFlight
            self.cacheEntries = cacheEntries
        }

        /// The most sweep probes in flight at once, for a schedule that starts `probesPerSecond`:
        /// what it needs (that rate times the probe deadline) with a quarter to spare, plus 16; at
        /// most a quarter of `probe.max_in_flight` and 16,384 (a quarter of one family's sequence
        /// numbers). When probes take longer than their deadline (a backlog in the engine), the
        /// sweeps slow down instead of piling up.
        package func maxSweeping(probesPerSecond: Double) -> Int {
            let seconds = Double(MonotonicTime.nanoseconds(timeout)) / 1e9
            let needed = Int(min(probesPerSecond * seconds * 1.25, 1e9).rounded(.up)) + 16
            return max(1, min(needed, maxInFlight / 4, 16_384))
        }

        /// How long the sweeper looks back to judge whether the engine keeps up: the probe
        /// deadline, at least 100 ms.
        package var paceWindow: UInt64 {
            max(MonotonicTime.nanoseconds(timeout), 100_000_000)
        }

        /// How much sooner than `refresh_s` a pass over a pool ends: the probe deadline plus 50 ms,
        /// so that a verdict, recorded when its probe ends, is replaced before it is `refresh_s` old.
        package var lead: UInt64 {
            MonotonicTime.nanoseconds(timeout) + 50_000_000
        }

        /// How long a verdict of a pool swept once every `period` lives: the period plus half of it,
        /// or twice the probe deadline, or one second, whichever margin is largest.
        package func verdictLifetime(period: UInt64) -> UInt64 {
            let margin = max(period / 2, 2 * MonotonicTime.nanoseconds(timeout), 1_000_000_000)
            let (sum, overflow) = period.addingReportingOverflow(margin)
            return overflow ? .max : sum
        }
    }

    /// What each pool's sweeps did, by how its probes were admitted.
    struct Counters: Sendable {
        var started = 0
        var joined = 0
        var skippedMarked = 0
        var busy = 0
    }

    struct State: Sendable {
        var configuration: Configuration
        var schedule: PoolSchedule
        /// How fast the sweeps may go while the engine keeps up.
        var pace: PoolPace
        /// Bumped by every reload, so that a tick that straddles one drops its counts.
        var generation = 0
        var counters: [IPRange: Counters] = [:]
    }

    let checker: Checker
    let logger: Logger
    let clock: @Sendable () -> UInt64
    let state: Mutex<State>
    /// Wakes an idle sweeper (no pools): a reload, or the start of a graceful shutdown.
    let wakeups = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    /// The longest the loop sleeps, so that a reload is taken up soon.
    static let maxSleep: UInt64 = 100_000_000
    /// The shortest: due probes are gathered 25 milliseconds at a time (a /16 refreshed every
    /// 30 s starts about 55 probes a tick), so the sweeper wakes 40 times a second at most.
    static let minSleep: UInt64 = 25_000_000

    /// A sweeper of `configuration.pools`; nothing is probed until ``run()`` runs. Installs the
    /// pools in the checker at once, so that verdicts of pool addresses get their lifetime.
    package init(
        configuration: Configuration,
        checker: Checker,
        logger: Logger = Logger(label: "probed.pools", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: @escaping @Sendable () -> UInt64 = { MonotonicTime.now() }
    ) {
        self.checker = checker
        self.logger = logger
        self.clock = clock
        let schedule = PoolSchedule(
            pools: configuration.pools,
            attempts: configuration.attempts,
            maxEchoesPerSecond: configuration.maxEchoesPerSecond,
            lead: configuration.lead,
            now: clock()
        )
        let pace = PoolPace(window: configuration.paceWindow, now: clock())
        self.state = Mutex(State(configuration: configuration, schedule: schedule, pace: pace))
        Self.install(schedule, configuration: configuration, in: checker)
    }

    /// Applies a reloaded configuration (SIGHUP): new pools start warming, removed ones stop, and
    /// pools that sweep the same addresses keep their progress. No verdict is dropped.
    package func update(_ configuration: Configuration) {
        let now = clock()
        let schedule = state.withLock { state -> PoolSchedule in
            var schedule = PoolSchedule(
                pools: configuration.pools,
                attempts: configuration.attempts,
                maxEchoesPerSecond: configuration.maxEchoesPerSecond,
                lead: configuration.lead,
                now: now,
                previous: state.schedule
            )
            schedule.setPace(state.pace.factor)
            state.configuration = configuration
            state.schedule = schedule
            state.generation += 1
            wakeups.continuation.yield()
            let ranges = Set(configuration.pools.map(\.addresses))
            state.counters = state.counters.filter { ranges.contains($0.key) }
            return schedule
        }
        Self.install(schedule, configuration: configuration, in: checker)
        logPlan(schedule, configuration: configuration)
    }

    /// Hands the checker the pools with the lifetime of their verdicts.
    private static func install(_ schedule: PoolSchedule, configuration: Configuration, in checker: Checker) {
        let memberships = schedule.lanes.map { lane in
            Checker.PoolMembership(pool: lane.pool, verdictLifetime: configuration.verdictLifetime(period: lane.period))
        }
        checker.updatePools(memberships, maxSweeping: configuration.maxSweeping(probesPerSecond: schedule.plannedProbesPerSecond))
    }

    /// Admits the probes due at `now` (as many as the sweep limit allows) and hands each to
    /// `start`, which must start it (``Checker/start(_:ended:)``).
    ///
    /// - Returns: when to tick next (``MonotonicTime``); `nil` without pools.
    @discardableResult
    package func tick(now: UInt64, start: (Checker.SweepProbe) -> Void) -> UInt64? {
        let capacity = checker.sweepCapacity()
        let (slots, generation, paced) = state.withLock { state in
            let previous = state.schedule.pace
            var paced: (from: Double, schedule: PoolSchedule, configuration: Configuration)?
            if let pace = state.pace.update(now: now) {
                state.schedule.setPace(pace)
                paced = (previous, state.schedule, state.configuration)
            }
            return (state.schedule.takeDue(now: now, limit: capacity), state.generation, paced)
        }
        if let paced {
            // Verdicts live for the period at the new pace.
            Self.install(paced.schedule, configuration: paced.configuration, in: checker)
            logPace(from: paced.from, to: paced.schedule.pace)
        }
        var admissions: [Checker.SweepAdmission.Kind] = []
        admissions.reserveCapacity(slots.count)
        for admission in checker.sweep(slots.map(\.address)) {
            if case .started(let probe) = admission { start(probe) }
            admissions.append(admission.kind)
        }
        return state.withLock { state -> UInt64? in
            if state.generation == generation {
                for (slot, admission) in zip(slots, admissions) {
                    state.count(admission, of: state.schedule.lanes[slot.lane].pool.addresses)
                }
            }
            guard let next = state.schedule.nextDue else { return nil }
            // Out of room for sweep probes with more due: look again shortly.
            if next <= now { return now + Self.minSleep }
            return next
        }
    }

    /// Logs the rates the schedule runs at, and warns when the cap stretches the periods or the
    /// cache cannot hold every pool address.
    func logPlan(_ schedule: PoolSchedule, configuration: Configuration) {
        guard !schedule.lanes.isEmpty else { return }
        let addresses = schedule.lanes.reduce(0) { $0 + $1.pool.count }
        if addresses >= configuration.cacheEntries {
            logger.warning(
                "the pools hold more addresses than cache.max_entries; their verdicts evict each other",
                metadata: ["addresses": "\(addresses)", "max_entries": "\(configuration.cacheEntries)"]
            )
        }
        let pools = schedule.lanes.map { "\($0.pool) every \(Double($0.period) / 1e9)s" }.joined(separator: ", ")
        logger.info(
            "warm pools",
            metadata: [
                "pools": "\(pools)",
                "echoes_per_s": "\(Int(schedule.echoesPerSecond.rounded()))",
            ]
        )
        if schedule.scale < 1 {
            logger.warning(
                "the pools need more echo requests per second than pools_max_pps allows; their periods stretch",
                metadata: ["pools_max_pps": "\(schedule.maxEchoesPerSecond)", "stretch": "\(1 / schedule.scale)"]
            )
        }
    }
}

extension PoolSweeper {
    /// Notes how long after its deadline a sweep probe ended (``Checker/start(_:ended:)``).
    package func noteEnded(overrun: UInt64) {
        state.withLock { $0.pace.note(overrun: overrun) }
    }

    /// Logs when the sweeps start slowing down for the engine, and when they are back at full pace.
    func logPace(from previous: Double, to pace: Double) {
        if previous == 1, pace < 1 {
            logger.warning("sweep probes end late: the engine is behind, so pool sweeps slow down")
        } else if previous < 1, pace == 1 {
            logger.info("pool sweeps are back at full pace")
        }
    }
}

extension PoolSweeper.State {
    mutating func count(_ admission: Checker.SweepAdmission.Kind, of pool: IPRange) {
        switch admission {
        case .started: counters[pool, default: .init()].started += 1
        case .joined: counters[pool, default: .init()].joined += 1
        case .marked: counters[pool, default: .init()].skippedMarked += 1
        case .busy: counters[pool, default: .init()].busy += 1
        case .refused: break
        }
    }
}

extension PoolSweeper: Service {
    /// Sweeps until a graceful shutdown begins or the calling task is cancelled. The probes it
    /// started run on in the checker, which waits for them at shutdown.
    package func run() async {
        let (schedule, configuration) = state.withLock { ($0.schedule, $0.configuration) }
        logPlan(schedule, configuration: configuration)
        var wakeup = wakeups.stream.makeAsyncIterator()
        // Graceful shutdown ends the loop within `maxSleep`.
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let now = clock()
            var started: [Checker.SweepProbe] = []
            let next = tick(now: now) { started.append($0) } ?? .max
            checker.start(started) { overrun in self.noteEnded(overrun: overrun) }
            if next == .max, state.withLock({ $0.configuration.pools.isEmpty }) {
                // No pools: no timer at all until a reload brings some (an idle daemon
                // wakes for nothing but the watchdog).
                await withGracefulShutdownHandler {
                    _ = await wakeup.next()
                } onGracefulShutdown: {
                    self.wakeups.continuation.yield()
                }
                continue
            }
            let wait = min(max(next > now ? next - now : 0, Self.minSleep), Self.maxSleep)
            do {
                try await LoopTimer.sleep(for: .nanoseconds(Int64(wait)))
            } catch {
                break
            }
        }
        logger.debug("pool sweeps stopped")
    }
}

extension PoolSweeper: CustomStringConvertible {
    package var description: String { "PoolSweeper" }
}
