package import ProbeProtocol

/// Something that can probe one address: the ``EchoEngine`` in the daemon, a fake in unit tests
/// of the checker's logic.
package protocol Prober: Sendable {
    /// Starts a probe of `address` within `timeout` (counted from `startedAt`, a ``MonotonicTime``
    /// reading), sending `attempts` echo requests spread evenly over it; `completion` is called
    /// once with the outcome, from any thread, possibly before `start` returns. Background probes
    /// (pool sweeps) send only when no on-demand echo is waiting for the pacer.
    func start(
        _ address: IPAddress,
        timeout: Duration,
        attempts: Int,
        priority: ProbePriority,
        startedAt: UInt64,
        completion: @escaping ProbeCompletion
    )
}

extension Prober {
    /// Probes `address` and waits for the outcome (bounded by `timeout`).
    package func probe(_ address: IPAddress, timeout: Duration, attempts: Int, priority: ProbePriority = .normal) async -> ProbeOutcome {
        let startedAt = MonotonicTime.now()
        return await withCheckedContinuation { (continuation: CheckedContinuation<ProbeOutcome, Never>) in
            start(address, timeout: timeout, attempts: attempts, priority: priority, startedAt: startedAt) {
                continuation.resume(returning: $0)
            }
        }
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
