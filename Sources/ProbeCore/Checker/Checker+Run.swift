import Logging
import ProbeProtocol
import ServiceLifecycle
import Synchronization

extension Checker: Service {
    /// Runs every probe the checker starts, each as a child task of one task group, until
    /// ``shutdown()``, a graceful shutdown of the service group, or cancellation of the calling task.
    ///
    /// On ``shutdown()`` or a graceful shutdown, new probes are refused (`unavailable`, "shutting
    /// down"; cache hits are still answered), every probe already queued or running completes —
    /// bounded by its deadline — and its waiters are answered; then `run()` returns. Cancellation
    /// does the same, except that the running probes are cancelled with it (the ``EchoEngine`` then
    /// ends them as `not_sent`, which is what their waiters get) and queued ones are answered
    /// `unavailable`. Call it once.
    ///
    /// In a `ServiceGroup`, add the checker itself as a service, after the engine and before the
    /// query server (the group shuts services down in reverse order: the server stops taking requests,
    /// then the checker finishes its probes, then the engine closes). Do not wrap `run()` in
    /// `cancelWhenGracefulShutdown`: that would cancel the running probes instead of letting them end.
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
            await withDiscardingTaskGroup { group in
                for await job in jobs {
                    guard markStarted(job) else { continue }
                    group.addTask {
                        await self.execute(job)
                    }
                }
                // The stream ended: shutdown, or this task was cancelled.
                answerUnstarted()
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
        logger.debug("checker stopped")
    }

    /// Begins shutting down: no new probe is started (a request that would need one gets
    /// `unavailable`), and ``run()`` returns once the probes already queued or running have ended.
    /// Safe to call more than once, from anywhere.
    package func shutdown() {
        let first = state.withLock { state in
            defer { state.accepting = false }
            return state.accepting
        }
        if first { logger.debug("checker shutting down: finishing the probes in flight") }
        jobSink.finish()
    }

    /// Marks the probe of `address` as handed to the prober; `false` when it is no longer in flight.
    private func markStarted(_ job: ProbeJob) -> Bool {
        state.withLock { state in
            guard let index = state.inFlight[job.address]?.firstIndex(where: { $0.id == job.id }) else { return false }
            state.inFlight[job.address]![index].started = true
            state.counters.probesStarted += 1
            return true
        }
    }

    /// Probes one address and hands the verdict to the cache and every waiter.
    private func execute(_ job: ProbeJob) async {
        let outcome = await prober.probe(job.address, timeout: job.timeout, attempts: job.attempts)
        let result = Self.answer(for: job.address, outcome: outcome.result)
        let now = clock()
        let continuations = state.withLock { state in
            state.complete(job.address, probe: job.id, outcome: outcome.result, result: result, now: now)
        }
        for continuation in continuations { continuation.resume(returning: result) }
        if logger.logLevel <= .trace {
            logger.trace("probe ended", metadata: ["addr": "\(job.address)", "outcome": "\(outcome.result)"])
        }
    }

    /// Stops accepting probes and answers the waiters of every probe that never started.
    private func answerUnstarted() {
        let error = ProbeError.unavailable("the daemon is shutting down")
        let continuations = state.withLock { state -> [WaiterContinuation] in
            state.accepting = false
            let unstarted = state.inFlight.flatMap { address, probes in
                probes.filter { !$0.started }.map { (address, $0.id) }
            }
            var continuations: [WaiterContinuation] = []
            for (address, id) in unstarted {
                continuations += state.complete(address, probe: id, outcome: nil, result: .failure(error), now: 0)
            }
            return continuations
        }
        jobSink.finish()
        for continuation in continuations { continuation.resume(returning: .failure(error)) }
    }
}
