#if canImport(Glibc)
    import Glibc
#endif

/// What every fuzz target shares: how a finding ends the run.
enum FuzzCheck {
    /// Ends the run with `message` on standard error: libFuzzer reports the abort as a crash and
    /// saves the input that caused it under the run's artifact prefix.
    static func fail(_ message: String) -> Never {
        var text = "fuzz finding: \(message)\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        abort()
    }

    /// The input as a buffer of exactly `size` bytes (the end of libFuzzer's copy, so that ASan
    /// catches a read one past it).
    static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: size == 0 ? nil : data, count: size)
    }

    /// The input as text for a message (invalid UTF-8 repaired).
    static func show(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.prefix(400), as: UTF8.self)
    }
}
