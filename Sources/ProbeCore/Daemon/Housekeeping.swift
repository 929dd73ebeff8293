import Logging
import ProbeProtocol
import NIOCore
import ServiceLifecycle

/// Tells systemd how the daemon is: `READY=1` once the socket listens, `STATUS=` with live figures,
/// `WATCHDOG=1` only after a round trip through the serving paths (a wedged engine or event loop
/// stops the pings), and `STOPPING=1` when a graceful shutdown begins.
struct Housekeeping: Service {
    let notifier: SystemdNotifier
    let ready: ReadySignal
    let engine: EchoEngine
    let checker: Checker
    let server: QueryServer
    let eventLoops: any EventLoopGroup
    let logger: Logger

    /// How often `STATUS=` is refreshed while the watchdog wakes the daemon anyway.
    static let statusInterval: Duration = .seconds(5)
    /// How often `STATUS=` is refreshed when nothing else wakes the daemon.
    static let idleStatusInterval: Duration = .seconds(30)

    func run() async throws {
        guard await ready.wait() else { return }
        notifier.ready(status: statusLine())
        logger.info("ready", metadata: ["families": "\(engine.socketKinds.map { "\($0.key.rawValue):\($0.value.rawValue)" }.sorted().joined(separator: ","))", "neighbor_solicit": "\(engine.neighborSolicitation)"])

        let watchdog = notifier.watchdogInterval().map { $0 / 2 }
        guard notifier.isEnabled else {
            // Not under systemd: nothing to tell anyone until the end (no timer while idle).
            try? await gracefulShutdown()
            logger.info("stopping: answering requests in flight")
            return
        }
        // Without a watchdog, STATUS= is refreshed at a slow pace (an idle daemon barely wakes).
        let tick = watchdog.map { min($0, Self.statusInterval) } ?? Self.idleStatusInterval
        let clock = ContinuousClock()
        var lastStatus = clock.now
        // Sleeps until graceful shutdown or cancellation ends the loop.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await LoopTimer.sleep(for: tick) }
            } catch {
                break
            }
            if Task.isShuttingDownGracefully { break }
            if let watchdog, await servingPathsRespond(within: watchdog) { notifier.watchdog() }
            if clock.now - lastStatus >= Self.statusInterval {
                notifier.status(statusLine())
                lastStatus = clock.now
            }
        }
        notifier.stopping()
        logger.info("stopping: answering requests in flight")
    }

    /// A round trip through every event loop that serves clients and through the echo engine's
    /// loop thread, within `limit`: a wedged one stops the pings and systemd restarts the daemon.
    private func servingPathsRespond(within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            for loop in eventLoops.makeIterator() {
                group.addTask { (try? await loop.submit {}.get()) != nil }
            }
            group.addTask { await engine.heartbeat() }
            group.addTask {
                try? await LoopTimer.sleep(for: limit)
                return false
            }
            // Every path must answer before the timer does.
            var answered = 0
            let needed = eventLoops.makeIterator().reduce(0) { count, _ in count + 1 } + 1
            for await respondedInTime in group {
                guard respondedInTime else {
                    group.cancelAll()
                    return false
                }
                answered += 1
                if answered == needed {
                    group.cancelAll()
                    return true
                }
            }
            return false
        }
    }

    func statusLine() -> String {
        let checks = checker.statistics()
        let echo = engine.statistics()
        let ratio = checks.checks > 0 ? Double(checks.cacheHits) * 100 / Double(checks.checks) : 0
        return "serving: \(checks.checks) checks, \(Int(ratio.rounded()))% from cache, \(echo.inFlight) probes in flight"
    }
}

extension Housekeeping: CustomStringConvertible {
    var description: String { "Housekeeping" }
}
