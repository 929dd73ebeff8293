import Foundation
import Glibc

/// A spawned child process with pipes for its standard output and error: the common part of
/// ``Lab/run(_:_:timeout:)`` and ``LabProcess``.
///
/// Pipes are created close-on-exec (`pipe2(O_CLOEXEC)`), so that a child spawned at the same
/// time by another test never inherits them and keeps them open; standard input is `/dev/null`;
/// the child gets default signal dispositions and an empty signal mask.
struct ChildProcess: Sendable {
    /// The child's process id.
    let pid: pid_t
    /// The read end of the child's standard output (and of its standard error when merged).
    let output: Int32
    /// The read end of the child's standard error, or `nil` when merged into ``output``.
    let errorOutput: Int32?

    /// Where a plain command name is looked up, after the caller's `PATH`: root's tools (`ip`,
    /// `nft`) live in sbin, which a non-root `PATH` often lacks.
    static let searchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The environment children get: this process's, with `PATH` completed by ``searchPath``,
    /// and `overrides` applied.
    static func environment(_ overrides: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let path = environment["PATH"].map { "\($0):\(searchPath)" } ?? searchPath
        environment["PATH"] = path
        environment.merge(overrides) { _, new in new }
        return environment
    }

    /// The argument vector that runs `arguments` inside network namespace `namespace`
    /// (`ip netns exec`, which execs the command itself: the process id stays the command's).
    static func command(_ namespace: String?, _ arguments: [String]) -> [String] {
        guard let namespace else { return arguments }
        return ["ip", "netns", "exec", namespace] + arguments
    }

    /// Finds `name` in `path` unless it already contains a slash.
    static func resolve(_ name: String, path: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Starts `arguments` (the first is the program, looked up in `PATH`).
    static func spawn(
        _ arguments: [String],
        environment overrides: [String: String] = [:],
        mergeErrorOutput: Bool
    ) throws -> ChildProcess {
        guard let program = arguments.first else { throw LabError(.spawn, "empty command") }
        let environment = Self.environment(overrides)
        guard let executable = resolve(program, path: environment["PATH"] ?? searchPath) else {
            throw LabError(.spawn, "\(program): command not found")
        }

        let output = try makePipe()
        let errorOutput = mergeErrorOutput ? nil : try makePipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errorOutput?.write ?? output.write, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(output.write)
        if let errorOutput { close(errorOutput.write) }
        guard result == 0 else {
            close(output.read)
            if let errorOutput { close(errorOutput.read) }
            throw LabError(.spawn, "\(executable): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid, output: output.read, errorOutput: errorOutput?.read)
    }

    /// Runs `command` to completion, collecting standard output and error merged.
    ///
    /// - Throws: ``LabError`` `.spawn`, or `.timeout` (after killing it) past `timeout`.
    static func run(
        _ command: [String],
        environment: [String: String] = [:],
        timeout: Duration
    ) throws -> (termination: LabProcess.Termination, output: String) {
        let child = try spawn(command, environment: environment, mergeErrorOutput: true)
        defer { close(child.output) }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else {
                kill(child.pid, SIGKILL)
                _ = wait(for: child.pid)
                throw LabError(
                    .timeout,
                    "\(command.joined(separator: " ")) ran longer than \(timeout); output: "
                        + String(decoding: output, as: UTF8.self))
            }
            var poller = pollfd(fd: child.output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, pollTimeout(remaining))
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            let count = read(child.output, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output.append(contentsOf: buffer[0..<count])
        }
        return (wait(for: child.pid), String(decoding: output, as: UTF8.self))
    }

    /// `duration` in whole milliseconds for `poll(2)`, rounded up.
    static func pollTimeout(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }

    /// Waits for the child to exit and reaps it.
    static func wait(for pid: pid_t) -> LabProcess.Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return .exited(-1) }
        }
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    /// `pipe2`, which Glibc's Swift module does not export (it needs `_GNU_SOURCE`).
    private static let pipe2: Pipe2? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "pipe2") else { return nil }
        return unsafeBitCast(symbol, to: Pipe2.self)
    }()

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        guard let pipe2 else { throw LabError(.spawn, "pipe2 is not available") }
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC) == 0 else {
            throw LabError(.spawn, "pipe2: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }
}
