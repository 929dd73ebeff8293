import Synchronization

/// Carries one value from a callback to the task that waits for it: whichever comes first, the
/// value (``fulfil(_:)``) or the cancellation of the waiting task, ends the wait; later ones are
/// ignored.
final class AnswerSlot<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case ready(Value)
        case waiting(CheckedContinuation<Value, Never>)
        case taken
    }

    private let state = Mutex<State>(.empty)

    /// Hands over `value`, unless a value (or a cancellation) came first.
    func fulfil(_ value: Value) {
        let waiting = state.withLock { state -> CheckedContinuation<Value, Never>? in
            switch state {
            case .empty:
                state = .ready(value)
                return nil
            case .waiting(let continuation):
                state = .taken
                return continuation
            case .ready, .taken:
                return nil
            }
        }
        waiting?.resume(returning: value)
    }

    /// Waits for the value; `cancelled` when the calling task is cancelled first. Call it once.
    func value(ifCancelled cancelled: Value) async -> Value {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
                let ready = state.withLock { state -> Value? in
                    switch state {
                    case .empty:
                        state = .waiting(continuation)
                        return nil
                    case .ready(let value):
                        state = .taken
                        return value
                    case .waiting, .taken:
                        // Only reached if called twice.
                        return cancelled
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            fulfil(cancelled)
        }
    }
}
