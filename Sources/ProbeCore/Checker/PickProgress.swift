import ProbeProtocol
import Synchronization

/// The candidates of one `pick` as their verdicts come in, from the probes' completions: it hands
/// the settled list to the waiting request as soon as the choice is settled (``Checker/choice(_:)``).
///
/// The verdicts known at admission (cached ones, refusals) are recorded together by
/// ``open(with:)`` before any choice is made, so that the answer lists every candidate whose
/// verdict was known when the choice was made, never `pending` for a cached one, even when a
/// probe that a candidate joined ends meanwhile.
final class PickProgress: Sendable {
    private struct Progress {
        var settled: [Result<Verdict, ProbeError>?]
        /// The verdicts known at admission are in: the choice may be made.
        var open = false
    }

    private let progress: Mutex<Progress>
    private let slot = AnswerSlot<[Result<Verdict, ProbeError>?]?>()

    /// Progress of `count` candidates, none settled yet.
    init(count: Int) {
        progress = Mutex(Progress(settled: Array(repeating: nil, count: count)))
    }

    /// Records the verdicts known at admission, then makes the choice if they (with any probe's
    /// that ended meanwhile) settle it.
    func open(with answered: [(position: Int, result: Result<Verdict, ProbeError>)]) {
        let snapshot = progress.withLock { progress -> [Result<Verdict, ProbeError>?]? in
            for (position, result) in answered { progress.settled[position] = result }
            progress.open = true
            return Checker.choice(progress.settled) != nil ? progress.settled : nil
        }
        if let snapshot { slot.fulfil(snapshot) }
    }

    /// Records the verdict of the candidate at `position`.
    func settle(_ position: Int, with result: Result<Verdict, ProbeError>) {
        let snapshot = progress.withLock { progress -> [Result<Verdict, ProbeError>?]? in
            progress.settled[position] = result
            return progress.open && Checker.choice(progress.settled) != nil ? progress.settled : nil
        }
        if let snapshot { slot.fulfil(snapshot) }
    }

    /// Waits until the choice is settled; nil when the calling task is cancelled first.
    func choice() async -> [Result<Verdict, ProbeError>?]? {
        await slot.value(ifCancelled: nil)
    }
}
