import Glibc

extension EchoEngine {
    /// Sends each echo (outside the lock), noting when it left and the errno of its send. The
    /// echoes of a family leave `SendBatch.capacity` at a time through one `sendmmsg`; a message
    /// that fails is the first of the rest, and its errno is its own. An `EHOSTUNREACH` is retried
    /// once, alone: with `IP_RECVERR`, a pending error from an earlier, unrelated ICMP message makes
    /// a send fail without sending; a second one is the target's own.
    ///
    /// The time an echo left (``PendingEcho/sentAt``, which decides whether it left in time) is
    /// read after the call that sent it returned; the time it carries, for the round trip, before.
    func send(
        _ echoes: inout [PendingEcho], descriptors: [Int32], identifiers: [UInt16], batch: SendBatch, positions: inout [Int]
    ) {
        for family in 0..<2 {
            positions.removeAll(keepingCapacity: true)
            for index in echoes.indices where echoes[index].family == family { positions.append(index) }
            // The send buffer was full: the family's later echoes would fail the same way.
            var blocked = false
            var chunk = 0
            while chunk < positions.count {
                let count = min(batch.capacity, positions.count - chunk)
                defer { chunk += count }
                if blocked {
                    let now = MonotonicTime.now()
                    for message in 0..<count { echoes[positions[chunk + message]].note(error: EAGAIN, at: now) }
                    continue
                }
                let carried = MonotonicTime.now()
                for message in 0..<count {
                    let echo = echoes[positions[chunk + message]]
                    batch.set(
                        message,
                        echo: EchoPacket.Echo(identifier: identifiers[family], sequence: echo.sequence, token: echo.token, sentAt: carried),
                        family: EchoFamily(rawValue: family)!,
                        to: echo.target
                    )
                }
                var next = 0
                while next < count {
                    let (sent, failure) = batch.send(next..<count, descriptor: descriptors[family])
                    if sent > 0 {
                        let left = MonotonicTime.now()
                        for message in next..<(next + sent) { echoes[positions[chunk + message]].sentAt = left }
                        next += sent
                        continue
                    }
                    // Nothing left: the first message's errno is its own (0 cannot come back from a
                    // call with messages to send; taken as a full buffer should it).
                    var error = failure == 0 ? EAGAIN : failure
                    let index = positions[chunk + next]
                    if error == EHOSTUNREACH {
                        echoes[index].retried = true
                        error = batch.sendOne(next, descriptor: descriptors[family])
                    }
                    let now = MonotonicTime.now()
                    echoes[index].note(error: error, at: now)
                    next += 1
                    if error == EAGAIN || error == EWOULDBLOCK {
                        blocked = true
                        for message in next..<count { echoes[positions[chunk + message]].note(error: EAGAIN, at: now) }
                        break
                    }
                }
            }
        }
    }
}
