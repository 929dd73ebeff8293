extension Lab {
    /// Runs a command to completion and returns its exit status and output (standard output and
    /// standard error merged, in order).
    ///
    /// - Parameters:
    ///   - namespace: a network namespace to run it in (via `ip netns exec`), or `nil` for this
    ///     process's namespace.
    ///   - arguments: the program (looked up in `PATH`, completed with the sbin directories) and
    ///     its arguments.
    ///   - timeout: how long it may take; past it the command is killed and this throws.
    /// - Returns: the exit status (128 + N when killed by signal N) and the output.
    /// - Throws: ``LabError`` `.spawn` when it cannot start, `.timeout` when it runs too long.
    public static func run(
        _ namespace: String?,
        _ arguments: [String],
        timeout: Duration = .seconds(30)
    ) throws -> (status: Int32, output: String) {
        let command = ChildProcess.command(namespace, arguments)
        let (termination, output) = try ChildProcess.run(command, timeout: timeout)
        return (termination.status, output)
    }

    /// Runs a command like ``run(_:_:timeout:)`` and throws unless it exits with status 0.
    ///
    /// - Returns: its output.
    /// - Throws: ``LabError`` `.commandFailed` naming the command, its status and output.
    @discardableResult
    public static func runChecked(
        _ namespace: String?,
        _ arguments: [String],
        timeout: Duration = .seconds(30)
    ) throws -> String {
        let (status, output) = try run(namespace, arguments, timeout: timeout)
        guard status == 0 else {
            let command = ChildProcess.command(namespace, arguments).joined(separator: " ")
            throw LabError(.commandFailed, "\(command) exited with status \(status): \(output)")
        }
        return output
    }

    /// Runs a command in a namespace of this lab (or outside with `nil`); see
    /// ``run(_:_:timeout:)-swift.type.method``.
    public func run(
        _ namespace: String?,
        _ arguments: [String],
        timeout: Duration = .seconds(30)
    ) throws -> (status: Int32, output: String) {
        try Lab.run(namespace, arguments, timeout: timeout)
    }

    /// Runs a command and throws unless it succeeds; see
    /// ``runChecked(_:_:timeout:)-swift.type.method``.
    @discardableResult
    public func runChecked(
        _ namespace: String?,
        _ arguments: [String],
        timeout: Duration = .seconds(30)
    ) throws -> String {
        try Lab.runChecked(namespace, arguments, timeout: timeout)
    }
}
