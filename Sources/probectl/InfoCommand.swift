import ArgumentParser
import ProbeProtocol

/// `probectl info`: the daemon's version and capabilities, one aligned `key  value` line each.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the daemon's version, protocol, address families and capabilities.",
        discussion: "Exit status: 0 on success, 2 on failure."
    )

    @ParentCommand var root: Probectl

    func run() throws {
        let connection = try root.global.connect()
        let answer = try connection.send(.info)
        if root.global.json { Console.line(bytes: answer.line) }
        guard case .success(.info(let info, _)) = answer.response else {
            if !root.global.json, let failure = answer.failureText(subject: "info") { Console.error(failure) }
            throw ExitCode(2)
        }
        if !root.global.json { KeyValueListing.print(info) }
    }
}
