/// A command of probectl: it reaches the global options (`--socket`, `--json`) through its parent.
protocol ProbectlSubcommand {
    /// The root command, which holds the global options.
    var root: Probectl { get }
}

extension CheckCommand: ProbectlSubcommand {}
extension PickCommand: ProbectlSubcommand {}
extension MarkCommand: ProbectlSubcommand {}
extension ForgetCommand: ProbectlSubcommand {}
extension StatsCommand: ProbectlSubcommand {}
extension InfoCommand: ProbectlSubcommand {}
extension SweepCommand: ProbectlSubcommand {}
