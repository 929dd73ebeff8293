import Testing

@testable import ProbeCore

@Suite struct SendPacerTests {
    @Test func burstThenSustainedRate() {
        let start: UInt64 = 1_000_000_000
        var pacer = SendPacer(ratePerSecond: 1000, burst: 5, now: start)
        var sent = 0
        while pacer.take(now: start) { sent += 1 }
        #expect(sent == 5)
        // One packet per millisecond afterwards.
        let next = pacer.nextAvailable(now: start)
        #expect(next == start + 1_000_000)
        let early = pacer.take(now: start + 999_999)
        #expect(!early)
        let onTime = pacer.take(now: start + 1_000_000)
        #expect(onTime)
    }

    @Test func rateOverASecondIsBounded() {
        let start: UInt64 = 0
        var pacer = SendPacer(ratePerSecond: 2000, now: start)
        var sent = 0
        var now = start
        while now < start + 1_000_000_000 {
            if pacer.take(now: now) { sent += 1 }
            now += 10_000  // every 10 µs
        }
        // 2000/s plus the initial burst of 20.
        #expect(sent >= 2000 && sent <= 2020)
    }

    @Test func idleCreditIsCapped() {
        var pacer = SendPacer(ratePerSecond: 100, burst: 2, now: 0)
        var sent = 0
        while pacer.take(now: 60_000_000_000) { sent += 1 }
        #expect(sent == 2)
    }

    @Test func updateChangesTheRate() {
        var pacer = SendPacer(ratePerSecond: 10, burst: 1, now: 0)
        let first = pacer.take(now: 0)
        #expect(first)
        pacer.update(ratePerSecond: 1000, burst: 1, now: 0)
        let next = pacer.nextAvailable(now: 0)
        #expect(next <= 1_000_000)
    }
}
