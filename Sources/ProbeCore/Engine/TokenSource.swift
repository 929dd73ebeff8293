import CProbeSys

/// The probes' random tokens (the 8 bytes an echo reply must carry back), drawn from the kernel's
/// random numbers 512 at a time: one `getrandom` call for 512 probes instead of one each. Tokens
/// stay unpredictable to anyone who has not seen the echo requests; they are the defence against
/// forged replies (docs/operations.md, "How the echo engine decides").
struct TokenSource {
    private var buffer = [UInt64](repeating: 0, count: 512)
    private var next = 512

    init() {}

    /// The next token.
    mutating func take() -> UInt64 {
        if next == buffer.count { refill() }
        defer { next += 1 }
        return buffer[next]
    }

    private mutating func refill() {
        let filled = buffer.withUnsafeMutableBytes { cprobe_random_bytes($0.baseAddress, $0.count) == 0 }
        if !filled {
            // getrandom cannot fail on Linux once the pool is ready; should it, the standard
            // library's generator reads the same source.
            var generator = SystemRandomNumberGenerator()
            for index in buffer.indices { buffer[index] = generator.next() }
        }
        next = 0
    }
}
