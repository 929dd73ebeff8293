import Foundation
import Glibc

/// A real `probed` process under test, started inside a lab namespace with a configuration of
/// the test's own, a socket path of its own and a `NOTIFY_SOCKET` the test reads.
public final class ProbedProcess: Sendable {
    public let process: LabProcess
    public let socketPath: String
    public let configurationPath: String
    public let notifications: NotifySocket
    public let directory: String

    /// Starts `probed` and waits for `READY=1`.
    ///
    /// - Parameters:
    ///   - namespace: where it runs (usually `lab.dut`); nil for the test's own namespace.
    ///   - configuration: YAML; `socket.path` is set by this helper unless `socketPath` is given.
    ///   - arguments: extra command-line arguments.
    ///   - environment: extra environment variables.
    ///   - waitForReady: wait for `READY=1` (off to test startup failures).
    public init(
        in namespace: String?,
        configuration: String = "",
        arguments: [String] = [],
        environment: [String: String] = [:],
        prefix: [String] = [],
        socketPath: String? = nil,
        waitForReady: Bool = true
    ) async throws {
        directory = "/tmp/probed-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(directory, 0o755) == 0 else { throw LabError(.spawn, "mkdir \(directory): errno \(errno)") }
        self.socketPath = socketPath ?? "\(directory)/probed.sock"
        configurationPath = "\(directory)/probed.yaml"
        try configuration.write(toFile: configurationPath, atomically: true, encoding: .utf8)
        notifications = try NotifySocket()
        var environment = environment
        environment["NOTIFY_SOCKET"] = notifications.path
        let binary = try Lab.probedBinary.path
        process = try LabProcess.start(
            namespace,
            prefix + [binary, "--config", configurationPath, "--socket", self.socketPath] + arguments,
            environment: environment
        )
        if waitForReady {
            do {
                _ = try notifications.next("READY", value: "1", timeout: .seconds(20))
            } catch {
                process.kill()
                throw LabError(.timeout, "probed did not become ready: \(error)\n\(process.errorOutput)")
            }
        }
    }

    /// A new connection to the daemon.
    public func client() throws -> DaemonClient { try DaemonClient(path: socketPath) }

    /// Sends SIGTERM and waits for the exit.
    @discardableResult
    public func stop(timeout: Duration = .seconds(15)) async throws -> LabProcess.Termination {
        process.terminate()
        return try await process.waitForExit(timeout: timeout)
    }

    /// Sends a signal (SIGHUP for a reload).
    public func signal(_ number: Int32) { process.signal(number) }

    /// Replaces the configuration file (for a reload).
    public func writeConfiguration(_ yaml: String) throws {
        try yaml.write(toFile: configurationPath, atomically: true, encoding: .utf8)
    }

    deinit {
        if process.isRunning { process.kill() }
        unlink(configurationPath)
        if socketPath.hasPrefix(directory + "/") { unlink(socketPath) }
        rmdir(directory)
    }
}
