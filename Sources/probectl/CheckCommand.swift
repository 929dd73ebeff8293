import ArgumentParser
import ProbeProtocol

/// `probectl check ADDR…`: one verdict line per address, all asked at once on one connection.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Ask whether addresses are in use.",
        discussion: """
            Prints one verdict line per address, in the order given. Exit status: 0 when every \
            address is free; 1 when at least one is in use and none is unknown or refused; 2 when \
            any is unknown or refused, or the daemon cannot be reached.
            """
    )

    @ParentCommand var root: Probectl

    @OptionGroup var probe: ProbeOptions

    @Argument(help: ArgumentHelp("The addresses to check.", valueName: "addr"), transform: ArgumentParsing.address)
    var addresses: [IPAddress]

    func run() throws {
        let connection = try root.global.connect()
        connection.idleTimeout = probe.idleTimeout
        var answers = [DaemonAnswer?](repeating: nil, count: addresses.count)
        try connection.exchange(addresses.lazy.map(probe.check), window: Probectl.window) { answers[$0.index] = $0 }

        var tally = VerdictTally()
        var table = TextTable()
        var failures: [String] = []
        for (address, answer) in zip(addresses, answers) {
            guard let answer else { continue }
            tally.count(answer)
            if root.global.json {
                Console.line(bytes: answer.line)
            } else if case .success(.verdict(let verdict, _)) = answer.response {
                table.append(verdict.cells)
            } else if let failure = answer.failureText(subject: address.description) {
                failures.append(failure)
            }
        }
        table.print()
        for failure in failures { Console.writeError(failure + "\n") }
        if tally.exitStatus != 0 { throw ExitCode(tally.exitStatus) }
    }
}
