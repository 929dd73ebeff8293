import Synchronization

/// Probe outcomes on their way from the echo engine's loop thread to the checker, which settles
/// them in batches elsewhere (on an event loop in the daemon): the engine's thread only queues
/// each outcome, and caching the verdicts and answering the waiters happen in parallel with its
/// sending and reading.
final class OutcomeQueue: Sendable {
    /// A probe's outcome (its `target` is the probed address), which probe it ended, and who
    /// wants to know when it did.
    struct Item: Sendable {
        /// The checker's id of the probe (``Checker/ProbeJob/id``).
        let probe: UInt64
        let outcome: ProbeOutcome
        /// When its deadline was (``MonotonicTime``), for `ended`.
        let due: UInt64
        let ended: (@Sendable (UInt64) -> Void)?
    }

    /// Runs a closure elsewhere, soon (`EventLoop.execute` in the daemon).
    typealias Executor = @Sendable (@escaping @Sendable () -> Void) -> Void

    private let items = Mutex<[Item]>([])
    private let executor: Executor

    /// - Parameter executor: where the batches are settled.
    init(executor: @escaping Executor) {
        self.executor = executor
    }

    /// Queues one outcome; the first of a batch schedules `settle` (the checker's) for the batch.
    func add(_ item: Item, settle: @escaping @Sendable ([Item]) -> Void) {
        let first = items.withLock { items in
            items.append(item)
            return items.count == 1
        }
        guard first else { return }
        executor { [self] in
            let batch = items.withLock { items in
                var taken: [Item] = []
                swap(&taken, &items)
                return taken
            }
            settle(batch)
        }
    }
}
