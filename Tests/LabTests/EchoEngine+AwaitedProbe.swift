import ProbeProtocol

@testable import ProbeCore

extension EchoEngine {
    /// Lab-test support: starts one probe through ``start(_:)``, the daemon's entry point, and
    /// waits for its outcome. Its deadline, and the half of it by which an echo must leave, count
    /// from this call. The daemon never awaits a probe: its checker hands whole batches to
    /// ``start(_:)`` with one completion.
    func probe(_ address: IPAddress, timeout: Duration, attempts: Int, priority: ProbePriority = .normal) async
        -> ProbeOutcome
    {
        let startedAt = MonotonicTime.now()
        return await withCheckedContinuation { (continuation: CheckedContinuation<ProbeOutcome, Never>) in
            start([
                ProbeStart(
                    address: address,
                    timeout: timeout,
                    attempts: attempts,
                    priority: priority,
                    startedAt: startedAt,
                    completion: { continuation.resume(returning: $0) }
                )
            ])
        }
    }
}
