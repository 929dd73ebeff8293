import Testing

@testable import ProbeCore

@Suite struct TokenSourceTests {
    /// Across several refills of its 512-token buffer, no token repeats and none is zero (2,000
    /// draws of 64 random bits: a repeat or a zero would mean the buffer was not refilled).
    @Test func tokensDoNotRepeatAcrossRefills() {
        var source = TokenSource()
        var seen = Set<UInt64>()
        for _ in 0..<2_000 { seen.insert(source.take()) }
        #expect(seen.count == 2_000)
        #expect(!seen.contains(0))
    }

    /// Two sources (two daemons) draw different tokens.
    @Test func sourcesAreIndependent() {
        var first = TokenSource()
        var second = TokenSource()
        let a = (0..<16).map { _ in first.take() }
        let b = (0..<16).map { _ in second.take() }
        #expect(a != b)
    }
}
