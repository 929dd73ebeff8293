import CProbeSys

/// Readings of `CLOCK_MONOTONIC` in nanoseconds: cheap, never jumps, and shared with the kernel's own
/// timestamps so that deadlines, pacing and round-trip times all use one clock.
package enum MonotonicTime {
    /// Now, in nanoseconds since an arbitrary start.
    @inline(__always)
    package static func now() -> UInt64 { cprobe_monotonic_ns() }

    /// Nanoseconds in a duration, clamped at zero.
    package static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
