import ProbeProtocol

@testable import ProbeCore

extension Checker {
    /// Test support: answers one `check` and waits for its answer. It goes in through the daemon's
    /// only entry point for checks, ``check(_:receivedAt:answer:)`` with a shared answer, read "now"
    /// by the checker's clock; the daemon itself never awaits a check (its answers come through
    /// callbacks on the event loops).
    ///
    /// - Returns: the verdict or the error that a client would be answered with; `unavailable`
    ///   when the calling task is cancelled while it waits.
    func check(_ request: CheckRequest) async -> Result<Verdict, ProbeError> {
        let slot = AnswerSlot<Result<Verdict, ProbeError>>()
        check([(request, .null)], receivedAt: clock()) { result, _ in slot.fulfil(result) }
        return await slot.value(ifCancelled: .failure(Self.cancelled))
    }
}
