import ArgumentParser
import ProbeProtocol

/// `probectl mark ADDR in_use|free [--ttl DURATION]`: records a verdict by hand, for example
/// after a DHCPDECLINE.
struct MarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mark",
        abstract: "Record an address as in use or free.",
        discussion: """
            The mark holds until its TTL runs out or the address is forgotten, whatever later \
            checks' --max-age says. Exit status: 0 on success, 2 on failure.
            """
    )

    @ParentCommand var root: Probectl

    @Argument(help: ArgumentHelp("The address to mark.", valueName: "addr"), transform: ArgumentParsing.address)
    var address: IPAddress

    @Argument(help: ArgumentHelp("in_use or free.", valueName: "state"), transform: MarkCommand.state)
    var state: VerdictState

    @Option(
        name: .long,
        help: ArgumentHelp(
            "How long the mark holds: 90s, 10m, 1h, 1h30m or plain seconds "
                + "(default: the daemon's cache TTL of that state).",
            valueName: "duration"
        ),
        transform: MarkCommand.ttl
    )
    var ttl: Int?

    func run() throws {
        let connection = try root.global.connect()
        let answer = try connection.send(.mark(MarkRequest(addr: address, state: state, ttlMilliseconds: ttl)))
        if root.global.json { Console.line(bytes: answer.line) }
        guard case .success(.ok) = answer.response else {
            if !root.global.json, let failure = answer.failureText(subject: address.description) {
                Console.writeError(failure + "\n")
            }
            throw ExitCode(2)
        }
        if !root.global.json {
            let duration =
                ttl.map { "for \(Format.duration(milliseconds: $0))" } ?? "for the \(state.rawValue) cache TTL"
            Console.line("marked \(address) \(state.rawValue) \(duration)")
        }
    }

    /// `in_use` (also `in-use`) or `free`.
    static func state(_ text: String) throws -> VerdictState {
        switch text {
        case "in_use", "in-use": return .inUse
        case "free": return .free
        default: throw ArgumentParsing.InvalidValue(description: "the state is in_use or free")
        }
    }

    /// A `--ttl` duration in milliseconds, inside the protocol's range.
    static func ttl(_ text: String) throws -> Int {
        guard let duration = Duration(parsing: text) else {
            throw ArgumentParsing.InvalidValue(description: "a duration is 90s, 10m, 1h, 1h30m, 500ms or plain seconds")
        }
        let milliseconds = Int(duration.wholeMilliseconds)
        guard Request.Limits.ttlMilliseconds.contains(milliseconds) else {
            throw ArgumentParsing.InvalidValue(description: "the TTL must be between 1 ms and 365 days")
        }
        return milliseconds
    }
}
