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
        /// The outcomes waiting, and an emptied batch kept for its capacity: a burst's deadlines
        /// queue thousands at a time, and an array grown afresh for each batch would page-fault
        /// and copy its way up every time.
        struct Buffers {
            var items: [Item] = []
            var spare: [Item] = []
        }

        let buffers = Mutex(Buffers())
        let executor: Executor

        init(executor: @escaping Executor) {
            self.executor = executor
        }

        /// Takes every outcome waiting; the spare array takes their place.
        func take() -> [Item] {
            buffers.withLock { buffers in
                var taken: [Item] = []
                swap(&taken, &buffers.spare)
                swap(&taken, &buffers.items)
                return taken
            }
        }

        /// Gives back a settled batch's array, emptied, as the next spare (up to a size).
        func recycle(_ batch: inout [Item]) {
            batch.removeAll(keepingCapacity: true)
            guard batch.capacity <= OutcomeQueue.keptCapacity else { return }
            buffers.withLock { buffers in
                if buffers.spare.capacity < batch.capacity { swap(&buffers.spare, &batch) }
            }
        }
    }

    /// The largest emptied batch kept for reuse, in outcomes (about 0.5 MB).
    static let keptCapacity = 4096

    private let lanes: [Lane]

    /// - Parameter executors: where the batches are settled, one lane each (at least one). An
    ///   outcome goes to the lane its address hashes to, so that when thousands of probes end
    ///   together (a burst's deadlines) every event loop answers their waiters at once, while the
    ///   outcomes of one address are still settled in the order they came.
    init(executors: [Executor]) {
        precondition(!executors.isEmpty, "an outcome queue needs an executor")
        self.lanes = executors.map { Lane(executor: $0) }
    }

    /// Queues one outcome; the first of a lane's batch schedules `settle` (the checker's) for it.
    func add(_ item: Item, settle: @escaping @Sendable ([Item]) -> Void) {
        let lane = lanes.count == 1 ? lanes[0] : lanes[Self.lane(of: item.outcome.target, among: lanes.count)]
        let first = lane.buffers.withLock { buffers in
            buffers.items.append(item)
            return buffers.items.count == 1
        }
        guard first else { return }
        lane.executor {
            var batch = lane.take()
            settle(batch)
            lane.recycle(&batch)
        }
    }

    /// The lane of `address` among `count`.
    static func lane(of address: IPAddress, among count: Int) -> Int {
        Int(truncatingIfNeeded: VerdictCache.Key(address).hash(seed: 0) >> 33) % count
    }
}
