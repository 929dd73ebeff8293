import NIOCore
import NIOPosix

/// Sleeps on an event loop of NIO's shared group instead of Swift concurrency's default timers,
/// which run on libdispatch: once its worker pool starts, its monitor wakes the process every
/// second, idle or not.
package enum LoopTimer {
    /// Suspends the calling task for `duration`.
    ///
    /// - Throws: `CancellationError` when the task is cancelled first.
    package static func sleep(for duration: Duration) async throws {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = max(0, seconds) &* 1_000_000_000 &+ max(0, attoseconds) / 1_000_000_000
        let scheduled = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(nanoseconds)) {}
        do {
            try await withTaskCancellationHandler {
                try await scheduled.futureResult.get()
            } onCancel: {
                scheduled.cancel()
            }
        } catch {
            throw CancellationError()
        }
    }
}
