import NIOConcurrencyHelpers

/// The lock of this test target's helpers: it shadows `Synchronization.Mutex` here, with the same
/// `withLock`. Synchronization's `Mutex` on Linux is a futex inside the Swift runtime, which is not
/// built with ThreadSanitizer, so TSan sees none of its acquire/release edges: two threads that
/// take turns under one `Mutex` are reported as a race (a two-thread program that appends under one
/// `Mutex` is reported on Swift 6.3.1). `NIOLock` is a pthread mutex, which TSan intercepts, so the
/// TSan pass (`scripts/sanitize thread`) judges the tests' own hand-offs for what they are.
final class Mutex<Value> {
    private let box: NIOLockedValueBox<Value>

    init(_ value: Value) {
        box = NIOLockedValueBox(value)
    }

    /// Runs `body` with the value, under the lock.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try box.withLockedValue(body)
    }
}

extension Mutex: Sendable where Value: Sendable {}
