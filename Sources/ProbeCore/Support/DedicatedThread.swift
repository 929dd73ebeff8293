import CProbeSys
import Foundation

/// A thread of the daemon's own, for a loop that blocks in `ppoll`/`poll` (the echo engine, the
/// signal listener, the neighbour watcher) and so must not run on an event loop or in a task.
enum DedicatedThread {
    /// Runs `body` on a new thread named `name` (as `top -H` shows it; at most 15 bytes) and
    /// suspends the calling task, without holding its executor, until `body` returns.
    static func run(named name: String, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                // Foundation's `Thread.name` does not reach the kernel on Linux.
                cprobe_set_thread_name(name)
                body()
                continuation.resume()
            }
            thread.start()
        }
    }
}
