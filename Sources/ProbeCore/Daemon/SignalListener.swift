import CProbeSys
import Glibc
import ServiceLifecycle
import Synchronization

/// Receives SIGTERM, SIGINT and SIGHUP through a `signalfd`, read by a thread of its own that
/// sleeps in `ppoll` until one comes: no timer, no libdispatch (whose signal sources start a
/// worker pool that wakes every second), so an idle daemon stays asleep.
///
/// The signals must be blocked in every thread first (``blockSignals()`` at the very start of
/// `main`, before any thread exists); a signal sent before the listener opens stays pending and
/// is read then. As a `Service` it ends when the group shuts down gracefully or is cancelled.
package final class SignalListener: Service, Sendable {
    /// The signals the daemon handles.
    package static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// The signals received, in order.
    package let signals: AsyncStream<Int32>
    private let sink: AsyncStream<Int32>.Continuation
    private let signalDescriptor: Int32
    private let stopDescriptor: Int32

    /// Blocks ``handled`` in the calling thread, and so in every thread it starts later.
    package static func blockSignals() {
        var set = Self.signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        return set
    }

    /// Opens the `signalfd`.
    package init() throws(SignalListenerError) {
        var set = Self.signalSet()
        let descriptor = signalfd(-1, &set, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard descriptor >= 0 else { throw SignalListenerError(errno: errno) }
        let stop = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard stop >= 0 else {
            let code = errno
            close(descriptor)
            throw SignalListenerError(errno: code)
        }
        signalDescriptor = descriptor
        stopDescriptor = stop
        (signals, sink) = AsyncStream.makeStream(of: Int32.self)
    }

    deinit {
        close(signalDescriptor)
        close(stopDescriptor)
    }

    /// Reads signals until a graceful shutdown or cancellation; then ends ``signals``.
    package func run() async {
        await withTaskCancellationOrGracefulShutdownHandler {
            await DedicatedThread.run(named: "probed-signals") { [self] in
                self.listen()
                self.sink.finish()
            }
        } onCancelOrGracefulShutdown: {
            var one: UInt64 = 1
            _ = write(self.stopDescriptor, &one, MemoryLayout<UInt64>.size)
        }
    }

    /// The thread: waits for a signal or the stop event.
    private func listen() {
        var polls = [
            pollfd(fd: signalDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stopDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        var info = signalfd_siginfo()
        while true {
            let ready = cprobe_ppoll(&polls, 2, -1)
            if ready < 0 { if errno == EINTR { continue } else { return } }
            if polls[1].revents != 0 { return }
            while read(signalDescriptor, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
                sink.yield(Int32(info.ssi_signo))
            }
        }
    }
}
