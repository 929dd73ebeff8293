import Dispatch
import Glibc
import Synchronization

/// The shared state of a ``LabProcess``: its output so far, its termination, and the tasks that
/// wait for either. The reader and reaper threads hold this, not the ``LabProcess``, so that
/// dropping the process object still kills the process.
final class LabProcessState: Sendable {
    private struct LineWaiter {
        var id: UInt64
        var text: String
        var continuation: CheckedContinuation<String, any Error>
    }

    private struct ExitWaiter {
        var id: UInt64
        var continuation: CheckedContinuation<LabProcess.Termination, any Error>
    }

    private struct Data {
        var lines: [String] = []
        var partialLine: [UInt8] = []
        /// Lines before this index are consumed by ``nextLine(containing:)``.
        var cursor = 0
        var outputClosed = false
        var errorOutput: [UInt8] = []
        var termination: LabProcess.Termination?
        var lineWaiters: [LineWaiter] = []
        var exitWaiters: [ExitWaiter] = []
        var nextID: UInt64 = 0
    }

    private let data = Mutex(Data())
    private let command: String
    private let echoPrefix: String?
    /// Signalled once standard error has been read to its end (or at once when it is not kept).
    private let errorOutputEnded = DispatchSemaphore(value: 0)

    init(command: String, echoPrefix: String?, keepsErrorOutput: Bool) {
        self.command = command
        self.echoPrefix = echoPrefix
        if !keepsErrorOutput { errorOutputEnded.signal() }
    }

    // MARK: Reading

    var currentLines: [String] { data.withLock { $0.lines } }
    var currentErrorOutput: String { data.withLock { String(decoding: $0.errorOutput, as: UTF8.self) } }
    var currentTermination: LabProcess.Termination? { data.withLock { $0.termination } }

    /// The command, its state, its last output lines and standard error: for failure messages.
    var summary: String {
        data.withLock { data in
            let state = data.termination.map { "ended with \($0)" } ?? "running"
            let tail = data.lines.suffix(20).joined(separator: "\n")
            let errors = String(decoding: data.errorOutput.suffix(4000), as: UTF8.self)
            return "\(command) (\(state))\n--- stdout (last lines):\n\(tail)\n--- stderr:\n\(errors)"
        }
    }

    // MARK: Threads

    /// Reads standard output until end of file (on a thread of its own).
    func readLines(from fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            receive(buffer[0..<count])
        }
        close(fd)
        closeOutput()
    }

    /// Reads standard error until end of file (on a thread of its own).
    func readErrorOutput(from fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            if let echoPrefix {
                Self.echo("\(echoPrefix)stderr: \(String(decoding: buffer[0..<count], as: UTF8.self))")
            }
            data.withLock { $0.errorOutput.append(contentsOf: buffer[0..<count]) }
        }
        close(fd)
        errorOutputEnded.signal()
    }

    /// Waits for the process to exit (on a thread of its own), then reaps it under the lock, so
    /// that ``signal(_:_:)`` never signals a reaped (possibly recycled) pid.
    func reap(_ pid: pid_t) {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        // Its standard error ends with it (unless a child of its own still holds it): what it wrote
        // last is in ``errorOutput`` before anyone learns that it exited.
        _ = errorOutputEnded.wait(timeout: .now() + .seconds(2))
        let waiters = data.withLock { data in
            data.termination = ChildProcess.wait(for: pid)
            defer { data.exitWaiters.removeAll() }
            return data.exitWaiters.map { ($0.continuation, data.termination!) }
        }
        for (continuation, termination) in waiters { continuation.resume(returning: termination) }
    }

    func signal(_ pid: pid_t, _ signal: Int32) {
        data.withLock { data in
            if data.termination == nil { _ = kill(pid, signal) }
        }
    }

    /// Writes `text` to this process's standard error (`PROBED_LAB_VERBOSE=1`).
    private static func echo(_ text: String) {
        var bytes = Array(text.utf8)
        _ = write(STDERR_FILENO, &bytes, bytes.count)
    }

    private func receive(_ bytes: ArraySlice<UInt8>) {
        var resumed: [(CheckedContinuation<String, any Error>, String)] = []
        var echoed: [String] = []
        data.withLock { data in
            for byte in bytes {
                guard byte == UInt8(ascii: "\n") else {
                    data.partialLine.append(byte)
                    continue
                }
                let line = String(decoding: data.partialLine, as: UTF8.self)
                data.partialLine.removeAll(keepingCapacity: true)
                echoed.append(line)
                if let resume = Self.append(line, to: &data) { resumed.append(resume) }
            }
        }
        if let echoPrefix {
            for line in echoed { Self.echo("\(echoPrefix)\(line)\n") }
        }
        for (continuation, line) in resumed { continuation.resume(returning: line) }
    }

    /// Appends a line; returns the waiter it satisfies, if any (to be resumed outside the lock).
    private static func append(
        _ line: String,
        to data: inout Data
    ) -> (CheckedContinuation<String, any Error>, String)? {
        data.lines.append(line)
        guard let index = data.lineWaiters.firstIndex(where: { line.contains($0.text) }) else { return nil }
        let waiter = data.lineWaiters.remove(at: index)
        data.cursor = data.lines.count
        return (waiter.continuation, line)
    }

    private func closeOutput() {
        var resumed: [(CheckedContinuation<String, any Error>, String)] = []
        let waiters = data.withLock { data in
            if !data.partialLine.isEmpty {
                let line = String(decoding: data.partialLine, as: UTF8.self)
                data.partialLine.removeAll()
                if let resume = Self.append(line, to: &data) { resumed.append(resume) }
            }
            data.outputClosed = true
            defer { data.lineWaiters.removeAll() }
            return data.lineWaiters
        }
        for (continuation, line) in resumed { continuation.resume(returning: line) }
        guard !waiters.isEmpty else { return }
        let summary = self.summary
        for waiter in waiters {
            waiter.continuation.resume(
                throwing: LabError(
                    .exited, "output closed before a line containing \"\(waiter.text)\": \(summary)"))
        }
    }

    // MARK: Waiting

    func nextLine(containing text: String) async throws -> String {
        let id = data.withLock { data in
            data.nextID += 1
            return data.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<String, any Error>? = data.withLock { data in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let index = data.lines[data.cursor...].firstIndex(where: { $0.contains(text) }) {
                        data.cursor = index + 1
                        return .success(data.lines[index])
                    }
                    if data.outputClosed {
                        return .failure(LabError(.exited, "output closed before a line containing \"\(text)\""))
                    }
                    data.lineWaiters.append(LineWaiter(id: id, text: text, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = data.withLock { data in
                data.lineWaiters.firstIndex { $0.id == id }.map { data.lineWaiters.remove(at: $0) }
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    func termination() async throws -> LabProcess.Termination {
        let id = data.withLock { data in
            data.nextID += 1
            return data.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<LabProcess.Termination, any Error>? = data.withLock { data in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let termination = data.termination { return .success(termination) }
                    data.exitWaiters.append(ExitWaiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = data.withLock { data in
                data.exitWaiters.firstIndex { $0.id == id }.map { data.exitWaiters.remove(at: $0) }
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
