import Logging
import ProbeProtocol
import ServiceLifecycle
import Synchronization

extension Checker: Service {
    /// Waits until ``shutdown()``, a graceful shutdown of the service group, or cancellation of the
    /// calling task. Probes do not run in it: they start when a request needs them.
    ///
    /// On ``shutdown()`` or a graceful shutdown, new probes are refused (`unavailable`, "shutting
    /// down"; cache hits are still answered, and a request may still join a probe in flight), every
    /// probe already in flight ends — bounded by its deadline — and its waiters are answered; then
    /// `run()` returns. Cancellation answers every waiter at once (`unavailable`) and returns; the
    /// verdicts of probes still running are dropped. Call it once.
    ///
    /// In a `ServiceGroup`, add the checker itself as a service, after the engine and before the
    /// query server (the group shuts services down in reverse order: the server stops taking requests,
    /// then the checker waits for its probes, then the engine closes). Do not wrap `run()` in
    /// `cancelWhenGracefulShutdown`: that would drop the verdicts in flight instead of letting them land.
    package func run() async {
        let alreadyRunning = state.withLock { state in
            defer { state.running = true }
            return state.running
        }
        guard !alreadyRunning else {
            logger.error("Checker.run() called twice; the second call returns at once")
            return
        }
        logger.debug("checker running")
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let done = state.withLock { state -> Bool in
                        if state.abandoned || (!state.accepting && state.inFlight.isEmpty) { return true }
                        state.drained = continuation
                        return false
                    }
                    if done { continuation.resume() }
                }
            } onCancel: {
                self.abandon()
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
        logger.debug("checker stopped")
    }

    /// Begins shutting down: no new probe is started (a request that would need one gets
    /// `unavailable`), and ``run()`` returns once the probes in flight have ended.
    /// Safe to call more than once, from anywhere.
    package func shutdown() {
        let (first, drained) = state.withLock { state in
            defer { state.accepting = false }
            let first = state.accepting
            state.accepting = false
            return (first, state.takeDrainedIfDone())
        }
        if first { logger.debug("checker shutting down: finishing the probes in flight") }
        drained?.resume()
    }

    /// Stops at once (``run()`` was cancelled): answers every waiter `unavailable` and forgets the
    /// probes in flight; their late verdicts are dropped.
    private func abandon() {
        let error = ProbeError.unavailable("the daemon is shutting down")
        let (waiters, drained) = state.withLock { state -> ([Waiter], CheckedContinuation<Void, Never>?) in
            state.accepting = false
            state.abandoned = true
            let waiters = state.inFlight.removeAll()
            for waiter in waiters where waiter.counted { state.count(error) }
            defer { state.drained = nil }
            return (waiters, state.drained)
        }
        for waiter in waiters { waiter.answer(.failure(error)) }
        drained?.resume()
    }
}
