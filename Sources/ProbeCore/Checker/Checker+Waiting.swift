import ProbeProtocol
import Synchronization

extension Checker {
    /// Waits for the verdict of the probe that waiter `id` joined.
    ///
    /// Cancelling the calling task ends the wait at once; the probe itself runs on in ``run()``.
    ///
    /// - Returns: the probe's verdict or error; `nil` when the task was cancelled first.
    func wait(for id: UInt64) async -> Result<Verdict, ProbeError>? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: WaiterContinuation) in
                // `.some(x)`: resume at once with `x`; `.none`: the continuation is parked.
                let ready = state.withLock { state -> Result<Verdict, ProbeError>?? in
                    switch state.waiters[id] {
                    case .pending?:
                        state.waiters[id] = .waiting(continuation)
                        return .none
                    case .done(let result)?:
                        state.waiters[id] = nil
                        return .some(result)
                    case .cancelled?, .waiting?, nil:
                        state.waiters[id] = nil
                        return .some(nil)
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> WaiterContinuation? in
                switch state.waiters[id] {
                case .waiting(let continuation)?:
                    state.waiters[id] = nil
                    return continuation
                case .pending?:
                    state.waiters[id] = .cancelled
                    return nil
                case .done?, .cancelled?, nil:
                    return nil
                }
            }
            continuation?.resume(returning: nil)
        }
    }
}
