import Logging
import ProbeConfig
import ServiceLifecycle
import Synchronization
import Glibc

/// Acts on the signals: SIGHUP re-reads the configuration and applies what can change without
/// rebinding (probe limits, cache, policy, pools, limits and log level; an invalid file keeps the
/// running configuration); SIGTERM and SIGINT begin the graceful shutdown.
struct Reloader: Service {
    let daemon: ProbeDaemon
    let engine: EchoEngine
    let checker: Checker
    let server: QueryServer
    let pools: PoolSweeper
    let neighbors: NeighborWatcher
    let signals: SignalListener
    /// Begins the service group's graceful shutdown.
    let shutdown: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await signal in signals.signals {
                if signal == SIGHUP {
                    daemon.reload(engine: engine, checker: checker, server: server, pools: pools, neighbors: neighbors)
                } else {
                    daemon.logger.notice("signal received: shutting down", metadata: ["signal": "\(signal == SIGINT ? "SIGINT" : "SIGTERM")"])
                    await shutdown()
                }
            }
        }
    }
}

extension ProbeDaemon {
    /// One reload: `RELOADING=1`, read, validate, apply, `READY=1`.
    func reload(engine: EchoEngine, checker: Checker, server: QueryServer, pools: PoolSweeper, neighbors: NeighborWatcher) {
        notifier.reloading()
        let previous = current.withLock { $0 }
        let next: Configuration
        do {
            next = try source.load()
        } catch {
            logger.error("reload failed; keeping the running configuration", metadata: ["error": "\(error)"])
            notifier.notify("READY=1\nSTATUS=reload failed, running the previous configuration: \(error)")
            return
        }
        var applied = next
        // What needs a rebind or a restart keeps its running value; the peer lists apply at once.
        applied.socket.path = previous.socket.path
        applied.socket.mode = previous.socket.mode
        applied.socket.group = previous.socket.group
        applied.metrics = previous.metrics
        applied.probe.ipv6 = previous.probe.ipv6
        let restartKeys = next.keysNeedingRestart(comparedTo: previous)
        if !restartKeys.isEmpty {
            logger.warning("changed settings apply only after a restart", metadata: ["keys": "\(restartKeys.joined(separator: ", "))"])
        }
        current.withLock { $0 = applied }
        StandardErrorLogHandler.level.withLock { $0 = applied.log.level.loggerLevel }
        engine.update(EchoEngine.Configuration(applied))
        checker.update(configuration: Checker.Configuration(applied))
        server.updateLimits(QueryServerLimits(applied))
        pools.update(PoolSweeper.Configuration(applied))
        neighbors.update(NeighborWatcher.Configuration(applied))
        logger.notice("configuration reloaded", metadata: ["file": "\(source.configurationPath)"])
        notifier.notify("READY=1\nSTATUS=configuration reloaded")
    }
}

extension Reloader: CustomStringConvertible {
    var description: String { "Reloader" }
}
