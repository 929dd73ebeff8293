import ArgumentParser
import Foundation
import Glibc
import Logging
import ProbeConfig
import ProbeCore
import Synchronization

/// `probed`: answers "is this address free?" for DHCP servers over a Unix socket.
struct ProbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probed",
        abstract: "Answer DHCP servers' \"is this address free?\" by ICMP echo and the neighbour table.",
        discussion: "Without --config it reads \(Configuration.defaultPath) when that file exists and runs on built-in defaults otherwise.",
        version: QueryDispatcher.version
    )

    @Option(name: .long, help: "The configuration file (YAML).")
    var config: String?

    @Option(name: .long, help: "The Unix socket to listen on (overrides socket.path).")
    var socket: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (overrides log.level).")
    var logLevel: String?

    @Flag(name: .long, help: "Validate the configuration, print the result and exit (0 valid, 78 invalid).")
    var checkConfig = false

    func run() async throws {
        var level: Configuration.LogLevel?
        if let logLevel {
            guard let parsed = Configuration.LogLevel(rawValue: logLevel) else {
                throw ValidationError("--log-level must be one of \(Configuration.LogLevel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            level = parsed
        }
        var source = ProbeDaemon.Source(configurationPath: config, socketPathOverride: socket, logLevelOverride: level)
        let configuration: Configuration
        do {
            configuration = try source.load()
        } catch {
            if checkConfig {
                FileHandle.standardError.write(Data("probed: invalid configuration: \(error)\n".utf8))
                throw ExitCode(StartFailure.Code.configuration.exitStatus)
            }
            Self.bootstrapLogging(level: level ?? .info)
            Self.fail(StartFailure(error), logger: Logger(label: "probed"))
        }
        if checkConfig {
            if !source.required, access(source.configurationPath, F_OK) != 0 {
                print("\(source.configurationPath) does not exist: probed would run on its built-in defaults")
            } else {
                print("\(source.configurationPath): configuration is valid")
            }
            return
        }
        var effective = configuration
        if socket == nil, effective.socket.path == Configuration.Socket().path, !Self.canCreate(effective.socket.path),
            SystemdNotifier().listenDescriptors().isEmpty
        {
            // No socket chosen and /run/probed is not ours (not root, no RuntimeDirectory=).
            let directory = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"] ?? "/tmp"
            effective.socket.path = "\(directory)/probed.sock"
            source.socketPathOverride = effective.socket.path
            FileHandle.standardError.write(Data("probed: cannot create \(Configuration.Socket().path) here; listening on \(effective.socket.path)\n".utf8))
        }

        Self.bootstrapLogging(level: effective.log.level)
        let logger = Logger(label: "probed")
        let daemon = ProbeDaemon(source: source, configuration: effective, logger: logger)
        do {
            try await daemon.run()
        } catch {
            Self.fail(StartFailure(error), logger: logger)
        }
    }

    /// Sends log records to standard error (with journald priorities under systemd) at `level`.
    static func bootstrapLogging(level: Configuration.LogLevel) {
        StandardErrorLogHandler.level.withLock { $0 = level.loggerLevel }
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label) }
    }

    /// Ends a start that failed: logs why and what to do (critical), tells systemd (`STATUS=`),
    /// answers the clients already waiting on an inherited socket, and exits with the failure's
    /// status (78 configuration, 77 no ICMP access, 1 otherwise).
    static func fail(_ failure: StartFailure, logger: Logger) -> Never {
        logger.critical("\(failure.line)")
        let notifier = SystemdNotifier()
        notifier.status(failure.status)
        if failure.code != .other {
            failure.answerWaitingClients(on: notifier.listenDescriptors())
        }
        Glibc.exit(failure.code.exitStatus)
    }

    /// Whether this process may create a socket at `path`: its directory is writable, or missing
    /// in a writable parent.
    static func canCreate(_ path: String) -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        if access(directory, F_OK) == 0 { return access(directory, W_OK) == 0 }
        return access((directory as NSString).deletingLastPathComponent, W_OK) == 0
    }
}
