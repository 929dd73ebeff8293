package import ProbeProtocol

/// Something that can probe one address: the ``EchoEngine`` in the daemon, a fake in unit tests
/// of the checker's logic.
package protocol Prober: Sendable {
    /// Probes `address` within `timeout`, sending `attempts` echo requests spread evenly over it.
    func probe(_ address: IPAddress, timeout: Duration, attempts: Int) async -> ProbeOutcome

    /// The same, with a priority: background probes (pool sweeps) send only when no on-demand
    /// echo is waiting for the pacer.
    func probe(_ address: IPAddress, timeout: Duration, attempts: Int, priority: ProbePriority) async -> ProbeOutcome
}

extension Prober {
    package func probe(_ address: IPAddress, timeout: Duration, attempts: Int, priority: ProbePriority) async -> ProbeOutcome {
        await probe(address, timeout: timeout, attempts: attempts)
    }
}

/// Which echoes go first when the pacer cannot send everything at once.
package enum ProbePriority: Sendable, Hashable {
    /// A client is waiting: on-demand checks and picks.
    case normal
    /// Nobody waits: warm-pool sweeps.
    case background
}

extension EchoEngine: Prober {}
