import Testing

@testable import ProbeCore

@Suite struct DeadlineHeapTests {
    @Test func popsInTimeOrderOnlyWhenDue() {
        var heap = DeadlineHeap<Int>()
        let times: [UInt64] = [50, 10, 40, 10, 30, 20, 60, 5]
        for (index, time) in times.enumerated() { heap.insert(index, at: time) }
        #expect(heap.nextTime == 5)
        #expect(heap.popDue(now: 4) == nil)
        var popped: [UInt64] = []
        while let entry = heap.popDue(now: 45) { popped.append(entry.time) }
        #expect(popped == [5, 10, 10, 20, 30, 40])
        #expect(heap.count == 2)
        #expect(heap.nextTime == 50)
    }

    @Test func manyRandomEntriesComeOutSorted() {
        var heap = DeadlineHeap<UInt64>()
        var generator = SystemRandomNumberGenerator()
        var inserted: [UInt64] = []
        for _ in 0..<5000 {
            let time = UInt64.random(in: 0..<1_000_000, using: &generator)
            inserted.append(time)
            heap.insert(time, at: time)
        }
        var out: [UInt64] = []
        while let entry = heap.popDue(now: .max) { out.append(entry.element) }
        #expect(out == inserted.sorted())
    }
}
