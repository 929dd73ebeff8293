import ArgumentParser
import ProbeProtocol

/// `probectl sweep PREFIX`: checks every address of a prefix through the daemon and lists those
/// in use — the audit of a DHCP pool for squatters.
///
/// All checks go through one connection, with at most ``Probectl/window`` unanswered at a time.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Check every address of a prefix and list those in use.",
        discussion: """
            IPv4 prefixes up to /16 and IPv6 prefixes up to /112 (65,536 addresses); the network \
            and broadcast addresses of an IPv4 prefix shorter than /31 are left out. A progress \
            bar is shown on standard error when it is a terminal. Prints the addresses in use with \
            their evidence, round-trip time and MAC, then a summary; with --json, every verdict \
            line as it arrives. Exit status as for check: 0 when all are free, 1 when some are in \
            use and none is unknown or refused, 2 when any is unknown or refused.
            """
    )

    /// The largest sweep, in addresses.
    static let maxAddresses: UInt64 = 65_536

    @ParentCommand var root: Probectl

    @OptionGroup var probe: ProbeOptions

    @Argument(
        help: ArgumentHelp("The prefix to sweep, such as 198.51.100.0/24.", valueName: "prefix"),
        transform: ArgumentParsing.prefix
    )
    var prefix: IPPrefix

    func validate() throws {
        if let problem = Self.sizeProblem(prefix) { throw ValidationError(problem) }
    }

    /// Why `prefix` is too large to sweep, or `nil` when it is not.
    static func sizeProblem(_ prefix: IPPrefix) -> String? {
        let shortest = prefix.family == .ipv4 ? 16 : 112
        guard prefix.length < shortest else { return nil }
        let count = prefix.hostAddresses().count
        let size =
            count == .max
            ? "more than \(Format.count(UInt64.max)) addresses"
            : Format.plural(Int(clamping: count), "address", "addresses")
        return "\(prefix) is too large to sweep (\(size)); "
            + "sweep at most /\(shortest) (\(Format.count(maxAddresses)) addresses) at a time"
    }

    func run() throws {
        let addresses = Array(prefix.hostAddresses())
        let json = root.global.json
        let connection = try root.global.connect()
        connection.idleTimeout = probe.idleTimeout
        var progress: ProgressBar? =
            Console.standardErrorIsTerminal && !(json && Console.standardOutputIsTerminal)
            ? ProgressBar(label: "sweeping \(prefix)", total: addresses.count) : nil
        var report = SweepReport()
        // Keep within the daemon's budget of on-link probes (half the kernel's neighbour table):
        // a sweep of a directly connected prefix must not evict entries before their deadline.
        // (A daemon that does not list its links is taken to have the swept prefix on one.)
        var window = Probectl.window
        if case .success(.info(let info, _))? = try? connection.send(.info).response,
            let budget = info["max_on_link_in_flight"]?.intValue, budget > 0
        {
            let links = info["on_link_prefixes"]?.arrayValue?.compactMap { $0.stringValue.flatMap(IPPrefix.init) }
            if links?.contains(where: { $0.overlaps(prefix) }) ?? true {
                window = min(window, budget)
            }
        }
        do {
            try connection.exchange(addresses.lazy.map(probe.check), window: window) { answer in
                if json { Console.line(bytes: answer.line) }
                report.add(answer, address: addresses[answer.index])
                progress?.update(done: report.tally.total, note: "\(Format.count(report.tally.inUse)) in use")
            }
        } catch {
            progress?.clear()
            throw error
        }
        progress?.clear()
        if !json {
            for line in report.lines() { Console.line(line) }
        }
        let status = report.tally.exitStatus
        if status != 0 { throw ExitCode(status) }
    }
}
