package import ProbeProtocol

/// Counts of verdicts by state and evidence, kept in a fixed table: counting one is an index into
/// it, where a dictionary keyed by the enums would hash their names (three times per probe that
/// ends, on the path that answers its waiters).
package struct VerdictTally: Sendable, Hashable {
    private static let evidenceCount = Evidence.allCases.count
    private var counts = [UInt64](repeating: 0, count: VerdictState.allCases.count * Evidence.allCases.count)

    package init() {}

    /// Counts one verdict.
    package mutating func add(_ state: VerdictState, _ evidence: Evidence) {
        counts[Self.position(state, evidence)] += 1
    }

    /// Verdicts of `state` with `evidence`.
    package subscript(state: VerdictState, evidence: Evidence) -> UInt64 {
        counts[Self.position(state, evidence)]
    }

    /// Verdicts of `state`, whatever their evidence.
    package subscript(state state: VerdictState) -> UInt64 {
        let start = Int(VerdictCache.Slot.code(state)) * Self.evidenceCount
        return counts[start..<start + Self.evidenceCount].reduce(0, +)
    }

    /// Verdicts with `evidence`, whatever their state.
    package subscript(evidence evidence: Evidence) -> UInt64 {
        VerdictState.allCases.reduce(0) { $0 + self[$1, evidence] }
    }

    /// Every verdict counted.
    package var total: UInt64 { counts.reduce(0, +) }

    /// A verdict's cell: the one-byte codes the cache stores them by (``VerdictCache/Slot``).
    private static func position(_ state: VerdictState, _ evidence: Evidence) -> Int {
        Int(VerdictCache.Slot.code(state)) * evidenceCount + Int(VerdictCache.Slot.code(evidence))
    }
}
