import ArgumentParser
import ProbeProtocol

/// `probectl stats`: the daemon's counters, one aligned `key  value` line each.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the daemon's counters.",
        discussion: "Nested values are flattened (rtt_us.p50). Exit status: 0 on success, 2 on failure."
    )

    @ParentCommand var root: Probectl

    func run() throws {
        let connection = try root.global.connect()
        let answer = try connection.send(.stats)
        if root.global.json { Console.line(bytes: answer.line) }
        guard case .success(.stats(let stats, _)) = answer.response else {
            if !root.global.json, let failure = answer.failureText(subject: "stats") { Console.error(failure) }
            throw ExitCode(2)
        }
        if !root.global.json { KeyValueListing.print(stats) }
    }
}
