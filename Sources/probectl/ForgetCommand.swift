import ArgumentParser
import ProbeProtocol

/// `probectl forget ADDR|PREFIX|--all`: drops cached verdicts and marks.
struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Drop cached verdicts and marks: of one address, of a prefix, or all.",
        discussion: "Prints how many cache entries were removed. Exit status: 0 on success, 2 on failure."
    )

    @ParentCommand var root: Probectl

    @Argument(help: ArgumentHelp("An address or a CIDR prefix.", valueName: "addr|prefix"))
    var target: String?

    @Flag(name: .long, help: "Forget every entry.")
    var all = false

    func validate() throws {
        _ = try request()
    }

    func run() throws {
        let connection = try root.global.connect()
        let answer = try connection.send(.forget(try request()))
        if root.global.json { Console.line(bytes: answer.line) }
        guard case .success(.removed(let removed, _)) = answer.response else {
            if !root.global.json, let failure = answer.failureText(subject: target ?? "forget --all") {
                Console.writeError(failure + "\n")
            }
            throw ExitCode(2)
        }
        if !root.global.json { Console.line("removed \(removed)") }
    }

    /// The target, from exactly one of the argument and `--all`.
    private func request() throws -> ForgetRequest {
        switch (target, all) {
        case (nil, true):
            return .all
        case (let text?, false):
            if text.contains("/") {
                guard let prefix = IPPrefix(text) else { throw ValidationError("'\(text)' is not a CIDR prefix") }
                return .prefix(prefix)
            }
            guard let address = IPAddress(text) else {
                throw ValidationError("'\(text)' is not an address or a prefix")
            }
            return .address(address)
        case (.some, true):
            throw ValidationError("give an address, a prefix or --all, not both")
        case (nil, false):
            throw ValidationError("give an address, a prefix or --all")
        }
    }
}
