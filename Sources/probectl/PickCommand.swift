import ArgumentParser
import ProbeProtocol

/// `probectl pick ADDR…`: the first free address among candidates, and each candidate's result.
struct PickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pick",
        abstract: "Pick the first free address among candidates (in preference order).",
        discussion: """
            Prints the chosen address (or "none free") on the first line, then each candidate's \
            result; "pending" means its probe had not settled when the choice was made. Exit \
            status: 0 when the daemon answered (an address picked, or "none free"), 2 when the \
            request was refused or the daemon cannot be reached.
            """
    )

    @ParentCommand var root: Probectl

    @OptionGroup var probe: ProbeOptions

    @Argument(
        help: ArgumentHelp("The candidates (1 to 64), most preferred first.", valueName: "addr"),
        transform: ArgumentParsing.address
    )
    var addresses: [IPAddress]

    func validate() throws {
        if !Request.Limits.pickCandidates.contains(addresses.count) {
            throw ValidationError(
                "pick takes at most \(Request.Limits.pickCandidates.upperBound) candidates, not \(addresses.count)"
            )
        }
    }

    func run() throws {
        let connection = try root.global.connect()
        connection.idleTimeout = probe.idleTimeout
        let answer = try connection.send(probe.pick(addresses))
        if root.global.json { Console.line(bytes: answer.line) }
        guard case .success(.pick(let pick, _)) = answer.response else {
            if !root.global.json, let failure = answer.failureText(subject: "pick") { Console.error(failure) }
            throw ExitCode(2)
        }
        if !root.global.json {
            Console.line(pick.addr?.description ?? "none free")
            var table = TextTable(indent: "  ")
            for result in pick.results {
                switch result {
                case .settled(let verdict): table.append(verdict.cells)
                case .pending(let address): table.append([address.description, "pending"])
                }
            }
            table.print()
        }
        // "none free" is an answer, not a failure: §7 gives other commands 0 on success, 2 on failure.
    }
}
