import ArgumentParser
import Glibc

/// `probectl`: the command-line client of probed, for people and scripts.
///
/// `probectl [--socket PATH] [--json] COMMAND`. Every failure — the daemon unreachable, an error
/// answer, a usage error — exits with status 2; `check` and `sweep` exit 1 when an address is in
/// use (and none is unknown); every other answered command exits 0.
@main
struct Probectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probectl",
        abstract: "Ask probed whether addresses are in use.",
        discussion: """
            Talks to the probed daemon over its Unix socket: --socket, else $PROBED_SOCKET, else \
            \(GlobalOptions.defaultSocketPath). Human output is aligned text; --json prints the \
            daemon's JSON answer lines as they are.
            """,
        subcommands: [
            CheckCommand.self, PickCommand.self, MarkCommand.self, ForgetCommand.self, StatsCommand.self,
            InfoCommand.self, SweepCommand.self,
        ]
    )

    /// The most requests kept unanswered on one connection: well under the daemon's default
    /// `limits.max_pending_per_connection` (4096).
    static let window = 2048

    @OptionGroup var global: GlobalOptions

    /// Runs the command, with probectl's exit statuses: usage errors and every other failure exit
    /// with 2 (ArgumentParser's default for usage errors is 64).
    static func main() {
        var parsed: (any ParsableCommand)?
        do {
            var command = try parseAsRoot()
            parsed = command
            try command.run()
        } catch let error as ClientError {
            // --json: a refusal of the whole connection is printed as the daemon sent it.
            if let line = error.answerLine, (parsed as? any ProbectlSubcommand)?.root.global.json == true {
                Console.line(bytes: line)
            } else {
                Console.error(error.description)
            }
            Glibc.exit(2)
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            Console.writeError(fullMessage(for: error) + "\n")
            Glibc.exit(2)
        }
        Glibc.exit(0)
    }
}
