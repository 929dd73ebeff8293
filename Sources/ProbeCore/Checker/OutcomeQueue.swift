import ProbeProtocol
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

    /// One queue and the executor that settles it.
    private final class Lane: Sendable {
        /// The outcomes waiting (from `head` on), and an emptied array kept for its capacity: a
        /// burst's deadlines queue thousands at a time, and an array grown afresh each time would
        /// page-fault and copy its way up.
        struct Buffers {
            var items: [Item] = []
            var head = 0
            var spare: [Item] = []
        }

        let buffers = Mutex(Buffers())
        let executor: Executor

        init(executor: @escaping Executor) {
            self.executor = executor
        }

        /// Moves the oldest outcomes waiting, up to `limit`, into `turn` (empty).
        ///
        /// - Returns: whether more are waiting (the caller schedules the next turn).
        func take(upTo limit: Int, into turn: inout [Item]) -> Bool {
            var drained: [Item] = []
            let more = buffers.withLock { buffers in
                let end = min(buffers.items.count, buffers.head + limit)
                turn.append(contentsOf: buffers.items[buffers.head..<end])
                buffers.head = end
                guard end == buffers.items.count else { return true }
                // All taken: the spare takes the array's place; it is emptied outside the lock.
                swap(&drained, &buffers.items)
                swap(&buffers.items, &buffers.spare)
                buffers.head = 0
                return false
            }
            guard !drained.isEmpty else { return more }
            drained.removeAll(keepingCapacity: true)
            if drained.capacity <= OutcomeQueue.keptCapacity {
                buffers.withLock { buffers in
                    if buffers.spare.capacity < drained.capacity { swap(&buffers.spare, &drained) }
                }
            }
            return more
        }

        /// Settles one turn's outcomes, then schedules the next turn if more are waiting: between
        /// turns the executor's event loop writes the answers given so far (and serves its
        /// connections), instead of holding them all until thousands of outcomes are settled.
        func settleTurn(_ settle: @escaping @Sendable ([Item]) -> Void) {
            var turn: [Item] = []
            turn.reserveCapacity(OutcomeQueue.turnLimit)
            let more = take(upTo: OutcomeQueue.turnLimit, into: &turn)
            settle(turn)
            if more { executor { self.settleTurn(settle) } }
        }
    }

    /// The largest emptied array kept for reuse, in outcomes (about 0.5 MB).
    static let keptCapacity = 4096
    /// Outcomes settled in one task of an executor at most.
    static let turnLimit = 256

    private let lanes: [Lane]

    /// - Parameter executors: where the batches are settled, one lane each (at least one). An
    ///   outcome goes to the lane its address hashes to, so that when thousands of probes end
    ///   together (a burst's deadlines) every event loop answers their waiters at once, while the
    ///   outcomes of one address are still settled in the order they came.
    init(executors: [Executor]) {
        precondition(!executors.isEmpty, "an outcome queue needs an executor")
        self.lanes = executors.map { Lane(executor: $0) }
    }

    /// Queues one outcome; the first while its lane is idle schedules `settle` (the checker's),
    /// which settles what waits ``turnLimit`` at a time, one executor task each.
    func add(_ item: Item, settle: @escaping @Sendable ([Item]) -> Void) {
        let lane = lanes.count == 1 ? lanes[0] : lanes[Self.lane(of: item.outcome.target, among: lanes.count)]
        let first = lane.buffers.withLock { buffers in
            buffers.items.append(item)
            return buffers.items.count - buffers.head == 1
        }
        guard first else { return }
        lane.executor { lane.settleTurn(settle) }
    }

    /// The lane of `address` among `count`.
    static func lane(of address: IPAddress, among count: Int) -> Int {
        Int(truncatingIfNeeded: VerdictCache.Key(address).hash(seed: 0) >> 33) % count
    }
}
