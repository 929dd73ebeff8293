import ProbeProtocol
import Synchronization
import Testing

@testable import ProbeCore

/// The outcome queue's lanes: outcomes take the lanes in turn, each lane settles its own in
/// batches through its executor, and every outcome is settled exactly once.
@Suite struct OutcomeQueueTests {
    /// An executor that keeps what it is given until the test runs it.
    final class HeldExecutor: Sendable {
        let work = Mutex<[@Sendable () -> Void]>([])

        var executor: OutcomeQueue.Executor {
            { work in self.work.withLock { $0.append(work) } }
        }

        /// Runs what was scheduled; returns how many closures ran.
        func run() -> Int {
            let taken = work.withLock { work in
                defer { work.removeAll() }
                return work
            }
            for work in taken { work() }
            return taken.count
        }
    }

    static func item(_ number: UInt64) -> OutcomeQueue.Item {
        OutcomeQueue.Item(
            probe: number,
            outcome: ProbeOutcome(target: .v4(IPv4Address(UInt32(number))), result: .timeout, echoesSent: 1, startedAt: 0, tag: number),
            due: 0, ended: nil)
    }

    @Test func outcomesTakeTheLanesInTurnAndAreSettledOnce() {
        let lanes = [HeldExecutor(), HeldExecutor()]
        let queue = OutcomeQueue(executors: lanes.map(\.executor))
        let settled = Mutex<[[UInt64]]>([])
        let settle: @Sendable ([OutcomeQueue.Item]) -> Void = { batch in settled.withLock { $0.append(batch.map(\.probe)) } }
        for number in 0..<10 { queue.add(Self.item(UInt64(number)), settle: settle) }
        // One settle scheduled per lane for its whole batch, not one per outcome.
        #expect(lanes.map { $0.work.withLock { $0.count } } == [1, 1])
        #expect(lanes[0].run() == 1)
        #expect(lanes[1].run() == 1)
        let batches = settled.withLock { $0 }
        #expect(batches == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]])
        // A lane emptied by its settle schedules again for the next outcome.
        queue.add(Self.item(10), settle: settle)
        #expect(lanes[0].run() + lanes[1].run() == 1)
        #expect(settled.withLock { $0.flatMap { $0 } }.sorted() == Array(0...10))
    }

    @Test func oneLaneSettlesEverythingInOrder() {
        let lane = HeldExecutor()
        let queue = OutcomeQueue(executors: [lane.executor])
        let settled = Mutex<[UInt64]>([])
        for number in 0..<5 { queue.add(Self.item(UInt64(number)), settle: { batch in settled.withLock { $0 += batch.map(\.probe) } }) }
        #expect(lane.run() == 1)
        #expect(settled.withLock { $0 } == [0, 1, 2, 3, 4])
    }
}
