package import Logging
package import ProbeConfig
import NIOCore
import NIOPosix
import ProbeProtocol
import ServiceLifecycle
import Synchronization
import Glibc

/// The daemon: opens the ICMP sockets, listens on the Unix socket, and runs the engine, checker,
/// query server, systemd notifications and reloads as one service group until SIGTERM/SIGINT.
package final class ProbeDaemon: Sendable {
    /// Where the configuration came from (SIGHUP re-reads it) and the command-line overrides.
    package struct Source: Sendable {
        /// The file to read.
        package var configurationPath: String
        /// Whether the file must exist (`--config` given); the default path may be absent.
        package var required: Bool
        package var socketPathOverride: String?
        package var logLevelOverride: Configuration.LogLevel?

        package init(configurationPath: String?, socketPathOverride: String?, logLevelOverride: Configuration.LogLevel?) {
            self.configurationPath = configurationPath ?? Configuration.defaultPath
            self.required = configurationPath != nil
            self.socketPathOverride = socketPathOverride
            self.logLevelOverride = logLevelOverride
        }

        /// Loads the file (the default path absent: the built-in defaults) and applies the overrides.
        package func load() throws(ConfigurationError) -> Configuration {
            var configuration: Configuration
            do {
                configuration = try Configuration.load(path: configurationPath)
            } catch where error.code == .notFound && !required {
                configuration = Configuration()
            }
            if let socketPathOverride { configuration.socket.path = socketPathOverride }
            if let logLevelOverride { configuration.log.level = logLevelOverride }
            return configuration
        }
    }

    let source: Source
    let logger: Logger
    let notifier = SystemdNotifier()
    let current: Mutex<Configuration>

    package init(source: Source, configuration: Configuration, logger: Logger) {
        self.source = source
        self.logger = logger
        self.current = Mutex(configuration)
    }

    /// Runs until a graceful shutdown completes. Startup failures throw (after `STATUS=` says why).
    package func run() async throws {
        let configuration = current.withLock { $0 }
        let engine: EchoEngine
        do {
            engine = try EchoEngine(configuration: EchoEngine.Configuration(configuration), logger: logger)
        } catch {
            notifier.status("failed: \(error.message)")
            throw error
        }
        // Outcomes are settled on the event loops, off the engine's loop thread.
        let settling = MultiThreadedEventLoopGroup.singleton.makeIterator().map { loop in
            { @Sendable (work: @escaping @Sendable () -> Void) in loop.execute(work) }
        }
        let checker = Checker(
            configuration: Checker.Configuration(configuration),
            prober: engine,
            logger: logger,
            settleElsewhere: settling
        )
        // Warm pools (docs/pools.md): sweeps, and passive evidence from neighbour events.
        let pools = PoolSweeper(configuration: PoolSweeper.Configuration(configuration), checker: checker, logger: logger)
        let neighbors = NeighborWatcher(configuration: NeighborWatcher.Configuration(configuration), checker: checker, logger: logger)
        let listener: QueryServer.Listener
        if let inherited = notifier.listenDescriptors().first {
            listener = .inherited(descriptor: inherited)
        } else {
            listener = .path(configuration.socket.path, mode: configuration.socket.mode, group: try Self.groupID(configuration.socket.group))
        }
        let ready = ReadySignal()
        let serverBox = ServerBox()
        let dispatcher = QueryDispatcher(
            checker: checker,
            engine: engine,
            server: { serverBox.server?.statistics() ?? ServerStatistics() },
            neighborEvidence: { engine.neighborEvidenceActive },
            pools: pools
        )
        let server = QueryServer(
            listener: listener,
            limits: QueryServerLimits(configuration),
            handler: dispatcher,
            logger: logger,
            onListening: { ready.fire() }
        )
        serverBox.server = server
        let housekeeping = Housekeeping(
            notifier: notifier,
            ready: ready,
            engine: engine,
            checker: checker,
            server: server,
            eventLoops: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        )
        let signals: SignalListener
        do {
            signals = try SignalListener()
        } catch {
            notifier.status("failed: \(error)")
            throw error
        }
        let groupBox = Mutex<ServiceGroup?>(nil)
        // Two cycles: the group holds the reloader, whose shutdown closure holds groupBox; the
        // dispatcher reads the server through serverBox, which holds the server, which holds the
        // dispatcher. Break both once the daemon has stopped, so that all it built is freed.
        defer {
            groupBox.withLock { $0 = nil }
            serverBox.server = nil
        }
        let reloader = Reloader(
            daemon: self, engine: engine, checker: checker, server: server, pools: pools, neighbors: neighbors,
            signals: signals,
            shutdown: { await groupBox.withLock { $0 }?.triggerGracefulShutdown() }
        )

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: signals),
            .init(service: engine),
            .init(service: checker),
            .init(service: neighbors),
            .init(service: pools),
            .init(service: server),
        ]
        if let endpoint = configuration.metrics.endpoint {
            let exporter = MetricsExporter(checker: checker, engine: engine, server: { server.statistics() })
            services.append(.init(service: MetricsServer(host: endpoint.host, port: endpoint.port, exporter: exporter, logger: logger)))
        }
        services.append(.init(service: housekeeping))
        services.append(.init(service: reloader))

        // Signals come through the SignalListener (blocked in every thread by `main`), not
        // through the group's own handling, which needs libdispatch and its once-a-second timer.
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        groupBox.withLock { $0 = group }
        do {
            try await group.run()
        } catch {
            notifier.status("failed: \(error)")
            throw error
        }
    }

    /// The numeric id of `socket.group`.
    static func groupID(_ name: String?) throws -> UInt32? {
        guard let name else { return nil }
        if let number = UInt32(name) { return number }
        guard let entry = getgrnam(name) else {
            throw ConfigurationError(code: .invalidValue, fileName: "configuration", keyPath: "socket.group", message: "no group named \(name)")
        }
        return entry.pointee.gr_gid
    }
}

/// The server, once created (the dispatcher needs its counters; the server needs the dispatcher).
final class ServerBox: Sendable {
    private let lock = Mutex<QueryServer?>(nil)
    var server: QueryServer? {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }
}
