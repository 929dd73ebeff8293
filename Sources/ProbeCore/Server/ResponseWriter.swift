import NIOCore
import ProbeProtocol
import Synchronization

/// Collects the answers of one connection and writes them in batches: answers finished while a
/// write is under way go out together in the next one (one syscall for many pipelined answers).
final class ResponseWriter: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Queues one answer line.
    func enqueue(_ response: Response) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            response.encode(into: &state.bytes)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// No more answers will come: ``run(_:)`` returns once everything queued is written.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Writes queued answers until ``finish()`` and an empty queue. A failed write (the peer went
    /// away) ends writing; later answers are dropped.
    func run(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async {
        var broken = false
        while true {
            let (batch, done) = await next()
            if !batch.isEmpty, !broken {
                do {
                    try await outbound.write(ByteBuffer(bytes: batch))
                } catch {
                    broken = true
                }
            }
            if done { return }
        }
    }

    /// Waits for queued bytes (or the end) and takes them.
    private func next() async -> (bytes: [UInt8], done: Bool) {
        while true {
            let taken = state.withLock { state -> ([UInt8], Bool)? in
                if !state.bytes.isEmpty || state.finished {
                    let bytes = state.bytes
                    state.bytes = []
                    state.bytes.reserveCapacity(min(bytes.count, 1 << 16))
                    return (bytes, state.finished)
                }
                return nil
            }
            if let taken { return taken }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if !state.bytes.isEmpty || state.finished { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }
}
