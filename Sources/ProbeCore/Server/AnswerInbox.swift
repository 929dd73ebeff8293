import ProbeProtocol
import Synchronization

/// The answers of one connection that were finished off its event loop (a probe ended on the
/// engine's thread, a task answered a `pick`), waiting to be written there together.
final class AnswerInbox: Sendable {
    private let responses = Mutex<[Response]>([])

    /// Adds `response`. Returns true when it is the first since the last ``take()``: the caller
    /// then schedules one drain on the event loop for all that follow.
    func add(_ response: Response) -> Bool {
        responses.withLock { responses in
            responses.append(response)
            return responses.count == 1
        }
    }

    /// Takes every answer added so far.
    func take() -> [Response] {
        responses.withLock { responses in
            var taken: [Response] = []
            swap(&taken, &responses)
            return taken
        }
    }
}
