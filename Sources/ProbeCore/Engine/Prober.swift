package import ProbeProtocol

/// Something that can probe addresses: the ``EchoEngine`` in the daemon, a fake in unit tests of
/// the checker's logic.
package protocol Prober: Sendable {
    /// Starts every probe of `probes` (the checker hands over all the probes one read of requests
    /// needs at once). Each probe's completion is called once with its outcome, from any thread,
    /// possibly before `start` returns.
    func start(_ probes: [ProbeStart])
}

/// One probe to start: what to probe, within what deadline, and where its outcome goes.
package struct ProbeStart: Sendable {
    package var address: IPAddress
    /// The deadline, counted from `startedAt`.
    package var timeout: Duration
    /// Echo requests, spread evenly over the deadline.
    package var attempts: Int
    /// Background probes (pool sweeps) send only when no on-demand echo waits for the pacer.
    package var priority: ProbePriority
    /// When the deadline starts counting (``MonotonicTime``): when the request was read.
    package var startedAt: UInt64
    /// The caller's own number for the probe, handed back in its outcome (``ProbeOutcome/tag``):
    /// one completion can then serve a whole batch of probes, with no closure for each.
    package var tag: UInt64
    package var completion: ProbeCompletion

    package init(
        address: IPAddress,
        timeout: Duration,
        attempts: Int,
        priority: ProbePriority = .normal,
        startedAt: UInt64,
        tag: UInt64 = 0,
        completion: @escaping ProbeCompletion
    ) {
        self.address = address
        self.timeout = timeout
        self.attempts = attempts
        self.priority = priority
        self.startedAt = startedAt
        self.tag = tag
        self.completion = completion
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
