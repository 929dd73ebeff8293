import Testing

@testable import ProbeCore

@Suite struct SequenceAllocatorTests {
    @Test func handsOutNumbersInOrderFromTheStart() {
        var allocator = SequenceAllocator(start: 10)
        #expect(allocator.allocate() == 10)
        #expect(allocator.allocate() == 11)
        #expect(allocator.liveCount == 2)
    }

    @Test func neverReusesALiveNumber() {
        var allocator = SequenceAllocator(start: 0)
        let first = allocator.allocate()!
        // Walk all the way round: the live number must be skipped.
        for _ in 0..<(SequenceAllocator.capacity - 1) {
            let number = allocator.allocate()!
            #expect(number != first)
            allocator.release(number)
        }
        #expect(allocator.isLive(first))
        #expect(allocator.allocate() != first)
    }

    @Test func wrapsAround() {
        var allocator = SequenceAllocator(start: UInt16.max - 1)
        #expect(allocator.allocate() == UInt16.max - 1)
        #expect(allocator.allocate() == UInt16.max)
        #expect(allocator.allocate() == 0)
    }

    @Test func releasedNumbersComeBackLast() {
        var allocator = SequenceAllocator(start: 0)
        let a = allocator.allocate()!
        allocator.release(a)
        #expect(allocator.allocate() == a + 1)
    }

    @Test func exhaustionIsReportedNotWrapped() {
        var allocator = SequenceAllocator(start: 12345)
        var seen = Set<UInt16>()
        for _ in 0..<SequenceAllocator.capacity {
            let number = allocator.allocate()
            #expect(number != nil)
            if let number { seen.insert(number) }
        }
        #expect(seen.count == SequenceAllocator.capacity)
        #expect(allocator.allocate() == nil)
        allocator.release(777)
        #expect(allocator.allocate() == 777)
        #expect(allocator.allocate() == nil)
    }

    @Test func releasingAFreeNumberIsHarmless() {
        var allocator = SequenceAllocator(start: 0)
        allocator.release(5)
        #expect(allocator.liveCount == 0)
    }
}
