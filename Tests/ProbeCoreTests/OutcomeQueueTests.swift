import ProbeProtocol
import Synchronization
import Testing

@testable import ProbeCore

/// The outcome queue's lanes: an outcome goes to the lane of its address, each lane settles its
/// own in batches through its executor, and every outcome is settled exactly once.
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

    /// An outcome for 198.51.100.0 + `host`, of probe `probe` (`host` by default).
    static func item(_ host: UInt64, probe: UInt64? = nil) -> OutcomeQueue.Item {
        let address = IPAddress.v4(IPv4Address(0xC633_6400 + UInt32(host)))
        return OutcomeQueue.Item(
            probe: probe ?? host,
            outcome: ProbeOutcome(target: address, result: .timeout, echoesSent: 1, startedAt: 0, tag: probe ?? host),
            due: 0, ended: nil)
    }

    @Test func outcomesGoToTheirAddressesLanesAndAreSettledOnce() {
        let lanes = [HeldExecutor(), HeldExecutor()]
        let queue = OutcomeQueue(executors: lanes.map(\.executor))
        let settled = Mutex<[Int: [UInt64]]>([:])
        let settle: @Sendable (Int) -> @Sendable ([OutcomeQueue.Item]) -> Void = { lane in
            { batch in settled.withLock { $0[lane, default: []] += batch.map(\.probe) } }
        }
        // 64 addresses, each twice: an address's outcomes share a lane, in their order.
        let numbers = (0..<128).map { UInt64($0) }
        for number in numbers {
            let item = Self.item(number % 64, probe: number)
            queue.add(item, settle: settle(OutcomeQueue.lane(of: item.outcome.target, among: 2)))
        }
        // One settle scheduled per lane for its whole batch, not one per outcome.
        #expect(lanes.map { $0.work.withLock { $0.count } } == [1, 1])
        #expect(lanes[0].run() == 1)
        #expect(lanes[1].run() == 1)
        let byLane = settled.withLock { $0 }
        #expect(byLane.keys.sorted() == [0, 1], "both lanes get work")
        for (lane, probes) in byLane {
            #expect(probes == probes.sorted(), "lane \(lane) settles in arrival order")
            for probe in probes {
                #expect(OutcomeQueue.lane(of: Self.item(probe % 64, probe: probe).outcome.target, among: 2) == lane)
            }
        }
        #expect(byLane.values.flatMap { $0 }.sorted() == numbers)
        // A lane emptied by its settle schedules again for the next outcome.
        queue.add(Self.item(0, probe: 200), settle: settle(OutcomeQueue.lane(of: Self.item(0, probe: 200).outcome.target, among: 2)))
        #expect(lanes[0].run() + lanes[1].run() == 1)
    }

    @Test func oneLaneSettlesEverythingInOrder() {
        let lane = HeldExecutor()
        let queue = OutcomeQueue(executors: [lane.executor])
        let settled = Mutex<[UInt64]>([])
        for number in 0..<5 { queue.add(Self.item(UInt64(number)), settle: { batch in settled.withLock { $0 += batch.map(\.probe) } }) }
        #expect(lane.run() == 1)
        #expect(settled.withLock { $0 } == [0, 1, 2, 3, 4])
    }

    @Test func aLongBatchIsSettledATurnAtATimeSoTheLoopCanWriteInBetween() {
        let lane = HeldExecutor()
        let queue = OutcomeQueue(executors: [lane.executor])
        let turns = Mutex<[[UInt64]]>([])
        let settle: @Sendable ([OutcomeQueue.Item]) -> Void = { batch in turns.withLock { $0.append(batch.map(\.probe)) } }
        let count = 2 * OutcomeQueue.turnLimit + 88
        for number in 0..<count { queue.add(Self.item(UInt64(number)), settle: settle) }
        // Each task settles one turn and schedules the next behind whatever the loop has queued.
        #expect(lane.run() == 1)
        #expect(turns.withLock { $0.map(\.count) } == [OutcomeQueue.turnLimit])
        // Outcomes that come meanwhile wait behind the older ones, without a task of their own.
        queue.add(Self.item(UInt64(count)), settle: settle)
        #expect(lane.run() == 1)
        #expect(lane.run() == 1)
        #expect(lane.run() == 0, "the last turn took everything and scheduled nothing")
        let settled = turns.withLock { $0 }
        #expect(settled.map(\.count) == [OutcomeQueue.turnLimit, OutcomeQueue.turnLimit, 89])
        #expect(settled.flatMap { $0 } == (0...count).map { UInt64($0) })
        // Idle again: the next outcome schedules a task.
        queue.add(Self.item(0, probe: 5000), settle: settle)
        #expect(lane.run() == 1)
        #expect(turns.withLock { $0.last } == [5000])
    }
}
