import ProbeProtocol
import Synchronization

/// The candidates of one `pick` as their verdicts come in, from the probes' completions: it hands
/// the settled list to the waiting request as soon as the choice is settled (``Checker/choice(_:)``).
final class PickProgress: Sendable {
    private let settled: Mutex<[Result<Verdict, ProbeError>?]>
    private let slot = AnswerSlot<[Result<Verdict, ProbeError>?]?>()

    /// Progress from the answers known at once (nil where a probe is awaited).
    init(_ initial: [Result<Verdict, ProbeError>?]) {
        settled = Mutex(initial)
        if Checker.choice(initial) != nil { slot.fulfil(initial) }
    }

    /// Records the verdict of the candidate at `position`.
    func settle(_ position: Int, with result: Result<Verdict, ProbeError>) {
        let snapshot = settled.withLock { settled -> [Result<Verdict, ProbeError>?]? in
            settled[position] = result
            return Checker.choice(settled) != nil ? settled : nil
        }
        if let snapshot { slot.fulfil(snapshot) }
    }

    /// Waits until the choice is settled; nil when the calling task is cancelled first.
    func choice() async -> [Result<Verdict, ProbeError>?]? {
        await slot.value(ifCancelled: nil)
    }
}
