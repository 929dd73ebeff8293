import NIOCore

/// When an event loop woke up to read: every request read during one wake-up of the loop counts
/// its deadline from the same moment, the first read of that wake-up.
///
/// A loop serves its readable connections one after another, and each read's requests are framed,
/// decoded and admitted before the next read starts. Under a burst (thousands of requests on a few
/// connections, all written within a millisecond or two) the last connection of a wake-up is read
/// tens of milliseconds after its bytes arrived; counting its deadlines from that read would answer
/// it as late to a client that counts from its own write. The wake-up's first read is the nearest
/// moment the daemon knows at which those bytes were waiting (or, for bytes that arrived during
/// the wake-up, earlier than them by at most the wake-up's length).
///
/// One per event loop, shared by its connections (``QueryServer`` hands them out); used only on
/// its loop. The wake-up ends with the first task the loop runs after its reads: the clock
/// enqueues one (once per wake-up in which something was read) that forgets the moment.
final class ReadClock {
    private let loop: any EventLoop
    /// The first read of the current wake-up, or nil between wake-ups.
    private var wokeAt: UInt64?

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// The moment the loop's current wake-up began reading (``MonotonicTime``).
    func readTime() -> UInt64 {
        loop.assertInEventLoop()
        if let wokeAt { return wokeAt }
        let now = MonotonicTime.now()
        wokeAt = now
        let clock = NIOLoopBound(self, eventLoop: loop)
        loop.execute { clock.value.wokeAt = nil }
        return now
    }
}
