import NIOEmbedded
import Testing

@testable import ProbeCore

/// The read clock gives every read of one wake-up of its loop the same moment, and a new one in
/// the next wake-up (the embedded loop's `run()` stands for the tasks that end a wake-up).
@Suite struct ReadClockTests {
    @Test func readsOfOneWakeUpShareTheirMoment() {
        let loop = EmbeddedEventLoop()
        let clock = ReadClock(loop: loop)
        let first = clock.readTime()
        var before = MonotonicTime.now()
        while before == first { before = MonotonicTime.now() }
        #expect(clock.readTime() == first)
        #expect(clock.readTime() == first)
        loop.run()
        let next = clock.readTime()
        #expect(next >= before, "a new wake-up reads the clock again")
        #expect(clock.readTime() == next)
        // End the wake-up: its pending task holds the clock, and the loop holds the task.
        loop.run()
    }
}
