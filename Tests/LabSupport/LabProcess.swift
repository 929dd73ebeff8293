import Foundation
import Glibc
import Synchronization

/// A long-running process, optionally inside a lab namespace: the real `probed` daemon, the
/// stray-reply tool, a listener.
///
/// Its standard output is read line by line as it comes (``waitForLine(containing:timeout:)``,
/// ``lines``), its standard error is kept (``errorOutput``) for failure messages. It is signalled
/// only by its own process id and only while it has not been reaped, so a signal never reaches a
/// recycled pid. Dropping the last reference to a running process kills it (SIGKILL).
///
/// ```swift
/// let tool = try LabProcess.start(lab.dut, ["python3", Lab.strayReplyScript.path, "--iface", "sink0",
///                                           "--target", "203.0.113.5", "--mode", "copy"])
/// _ = try await tool.waitForLine(containing: "ready")
/// ```
public final class LabProcess: Sendable {
    /// How a process ended.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        /// It called `exit` with this status.
        case exited(Int32)
        /// It was killed by this signal.
        case signaled(Int32)

        /// The shell's view: the exit status, or 128 + the signal number.
        public var status: Int32 {
            switch self {
            case .exited(let status): status
            case .signaled(let signal): 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signaled(let signal): "signal \(signal)"
            }
        }
    }

    /// The process id of the command itself (`ip netns exec` execs it, so there is no wrapper).
    public let pid: Int32
    /// The command line as started (with the `ip netns exec` prefix when in a namespace).
    public let command: [String]
    private let state: LabProcessState

    private init(pid: Int32, command: [String], state: LabProcessState) {
        self.pid = pid
        self.command = command
        self.state = state
    }

    deinit {
        signal(SIGKILL)
    }

    /// Starts a command.
    ///
    /// - Parameters:
    ///   - namespace: the network namespace to run it in (`ip netns exec`), or `nil`.
    ///   - arguments: the program (looked up in `PATH`) and its arguments.
    ///   - environment: variables to set or override in the inherited environment.
    /// - Throws: ``LabError`` `.spawn` when it cannot be started.
    public static func start(
        _ namespace: String?,
        _ arguments: [String],
        environment: [String: String] = [:]
    ) throws -> LabProcess {
        let command = ChildProcess.command(namespace, arguments)
        let child = try ChildProcess.spawn(command, environment: environment, mergeErrorOutput: false)
        let verbose = ProcessInfo.processInfo.environment["PROBED_LAB_VERBOSE"] == "1"
        let state = LabProcessState(
            command: command.joined(separator: " "), echoPrefix: verbose ? "[\(child.pid)] " : nil,
            keepsErrorOutput: child.errorOutput != nil)
        let pid = child.pid
        let output = child.output
        Thread.detachNewThread { state.readLines(from: output) }
        if let errorOutput = child.errorOutput {
            Thread.detachNewThread { state.readErrorOutput(from: errorOutput) }
        }
        Thread.detachNewThread { state.reap(pid) }
        return LabProcess(pid: pid, command: command, state: state)
    }

    /// Waits for the next line of standard output that contains `text`.
    ///
    /// Lines are consumed in order: a line returned here, and every line before it, is not
    /// searched again by later calls; lines that arrived earlier but were not yet consumed are.
    ///
    /// - Returns: the whole line, without its newline.
    /// - Throws: ``LabError`` `.timeout` after `timeout`, `.exited` when the process closes its
    ///   output first; both name the command and show its output so far.
    public func waitForLine(containing text: String, timeout: Duration = .seconds(5)) async throws -> String {
        let state = self.state
        return try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask { try await state.nextLine(containing: text) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw LabError(
                    .timeout, "no line containing \"\(text)\" within \(timeout): \(state.summary)")
            }
            defer { group.cancelAll() }
            guard let line = try await group.next() else { throw CancellationError() }
            return line
        }
    }

    /// Waits until the process has exited and been reaped.
    ///
    /// - Throws: ``LabError`` `.timeout` when it still runs after `timeout` (it is left running).
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(10)) async throws -> Termination {
        let state = self.state
        return try await withThrowingTaskGroup(of: Termination.self) { group in
            group.addTask { try await state.termination() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw LabError(.timeout, "still running after \(timeout): \(state.summary)")
            }
            defer { group.cancelAll() }
            guard let termination = try await group.next() else { throw CancellationError() }
            return termination
        }
    }

    /// Sends `signal` to the process, unless it has already been reaped.
    public func signal(_ signal: Int32) {
        state.signal(pid, signal)
    }

    /// Sends SIGTERM (see ``waitForExit(timeout:)``).
    public func terminate() {
        signal(SIGTERM)
    }

    /// Sends SIGKILL.
    public func kill() {
        signal(SIGKILL)
    }

    /// How it ended, or `nil` while it runs.
    public var termination: Termination? { state.currentTermination }

    /// Whether it still runs (has not been reaped).
    public var isRunning: Bool { termination == nil }

    /// Every line of standard output so far.
    public var lines: [String] { state.currentLines }

    /// Standard error so far.
    public var errorOutput: String { state.currentErrorOutput }
}
