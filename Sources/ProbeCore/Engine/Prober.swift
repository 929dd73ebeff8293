package import ProbeProtocol

/// Something that can probe one address: the ``EchoEngine`` in the daemon, a fake in unit tests
/// of the checker's logic.
package protocol Prober: Sendable {
    /// Probes `address` within `timeout`, sending `attempts` echo requests spread evenly over it.
    func probe(_ address: IPAddress, timeout: Duration, attempts: Int) async -> ProbeOutcome
}

extension EchoEngine: Prober {}
