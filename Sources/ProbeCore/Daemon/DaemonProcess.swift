import CProbeSys
import Glibc
import NIOCore
import NIOPosix
import Synchronization

/// How the `probed` process starts: before any thread exists it blocks the signals the
/// ``SignalListener`` reads, and it runs Swift concurrency's tasks on the NIO event loops
/// instead of libdispatch's worker pool, whose monitor wakes the process every second. An idle
/// daemon then wakes for nothing but the systemd watchdog.
package enum DaemonProcess {
    /// Where the process's tasks run, as seen from inside its first task (`info` reports it as
    /// `task_executor`).
    package enum TaskExecutor: String, Sendable {
        /// The SwiftNIO event loops: the global-executor hook took effect.
        case eventLoops = "event_loops"
        /// libdispatch's worker pool: the hook could not be installed, or the runtime ignores it.
        case dispatch
    }

    private static let observedExecutor = Mutex(TaskExecutor.dispatch)

    /// Where tasks were seen to run at start (``TaskExecutor/dispatch`` outside ``run(_:)``).
    package static var taskExecutor: TaskExecutor { observedExecutor.withLock { $0 } }

    /// Runs `main` as the process's root task and exits with 0 when it returns (`main` exits by
    /// itself on errors, as ArgumentParser's commands do).
    ///
    /// The hook it installs is a private interface of the Swift runtime: before `main` runs, the
    /// first task checks that it really runs on an event loop (also after a suspension), and if it
    /// does not, a warning is written and the daemon carries on, on libdispatch's pool.
    package static func run(_ main: @escaping @Sendable () async -> Void) -> Never {
        SignalListener.blockSignals()
        // Must come before the first task is created.
        let installed = installEventLoopsAsGlobalExecutor()
        let done = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        done.completeWithTask {
            let executor = await observeExecutor()
            observedExecutor.withLock { $0 = executor }
            if executor == .dispatch {
                warn(
                    installed
                        ? "tasks do not run on the SwiftNIO event loops although the global-executor hook was installed (has the Swift runtime changed?); they run on libdispatch's pool, and an idle daemon wakes once a second"
                        : "tasks run on libdispatch's pool (NIO could not take over the global executor); an idle daemon wakes once a second"
                )
            }
            await main()
        }
        try? done.futureResult.wait()
        exit(0)
    }

    /// Where the calling task runs, before and after a suspension.
    private static func observeExecutor() async -> TaskExecutor {
        guard MultiThreadedEventLoopGroup.currentEventLoop != nil else { return .dispatch }
        await Task.yield()
        return MultiThreadedEventLoopGroup.currentEventLoop != nil ? .eventLoops : .dispatch
    }

    /// Writes a warning to stderr before the daemon's logger exists (priority 4 under journald).
    private static func warn(_ message: String) {
        let prefix = getenv("JOURNAL_STREAM") != nil ? "<4>" : ""
        let line = "\(prefix)probed: warning: \(message)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
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
