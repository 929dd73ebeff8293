import CProbeSys
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
        // Must come before the first task is created.
        if !installEventLoopsAsGlobalExecutor() {
            let warning = "probed: tasks run on libdispatch's pool (NIO could not take over the global executor); an idle daemon wakes once a second\n"
            _ = warning.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        }
        let done = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        done.completeWithTask { await main() }
        try? done.futureResult.wait()
        exit(0)
    }

    /// The global executor's enqueue: a job goes to an event loop of NIO's shared group (the
    /// current one when called on one). The runtime calls it for every job of a task that is not
    /// bound to an actor.
    private typealias EnqueueGlobalHook = @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void

    /// Points Swift concurrency's global-enqueue hook at NIO's event loops (what NIO's
    /// `unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()` does, except
    /// that NIO finds the hook with dlsym, which fails when the runtime is linked in statically).
    private static func installEventLoopsAsGlobalExecutor() -> Bool {
        let hook: EnqueueGlobalHook = { job, _ in
            MultiThreadedEventLoopGroup.singleton.any().executor.enqueue(ExecutorJob(job))
        }
        return cprobe_install_enqueue_global_hook(unsafeBitCast(hook, to: UnsafeRawPointer.self)) == 1
    }
}
