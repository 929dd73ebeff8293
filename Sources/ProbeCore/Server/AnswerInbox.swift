import ProbeProtocol
import Synchronization

/// The answers of one connection that were finished off its event loop (a probe ended while
/// another loop or the engine's thread settled it, a task answered a `pick`), encoded where they
/// finished and waiting to be written on the connection's loop together.
final class AnswerInbox: Sendable {
    private struct Contents {
        var bytes: [UInt8] = []
        var count = 0
    }

    private let contents = Mutex(Contents())

    /// Encodes `response` behind the answers already waiting. Returns true when it is the first
    /// since the last ``take()``: the caller then schedules one drain on the event loop for all
    /// that follow.
    func add(_ response: Response) -> Bool {
        contents.withLock { contents in
            response.encode(into: &contents.bytes)
            contents.count += 1
            return contents.count == 1
        }
    }

    /// Takes every answer added so far: their encoded lines, and how many there are.
    func take() -> (lines: [UInt8], count: Int) {
        contents.withLock { contents in
            var taken = Contents()
            swap(&taken, &contents)
            return (taken.bytes, taken.count)
        }
    }
}
