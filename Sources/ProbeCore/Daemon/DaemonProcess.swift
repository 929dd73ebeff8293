import Glibc
import NIOCore
import NIOPosix

/// How the `probed` process starts: before any thread exists it blocks the signals the
/// ``SignalListener`` reads, and it runs Swift concurrency's tasks on the NIO event loops
/// instead of libdispatch's worker pool, whose monitor wakes the process every second. An idle
/// daemon then wakes for nothing but the systemd watchdog.
package enum DaemonProcess {
    /// Runs `main` as the process's root task and exits with 0 when it returns (`main` exits by
    /// itself on errors, as ArgumentParser's commands do).
    package static func run(_ main: @escaping @Sendable () async -> Void) -> Never {
        SignalListener.blockSignals()
        // Must come before the first task is created; false if something already started one.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let done = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        done.completeWithTask { await main() }
        try? done.futureResult.wait()
        exit(0)
    }
}
