public import Testing

/// A trait that gives a suite (or a single test) a fresh lab, as ``Lab/current``.
///
/// ```swift
/// @Suite(.serialized, .lab)
/// struct EngineLabTests {
///     @Test func liveHostAnswers() async throws {
///         let lab = try Lab.required
///         ...
///     }
/// }
/// ```
///
/// - On a suite: one lab around the whole suite, built before its first test and removed after
///   its last (also when tests fail or throw); the trait is not recursive, so nested suites and
///   tests share it. Add `.serialized` when the tests share state in the lab (the neighbour
///   table, a running daemon).
/// - On a test function: one lab per test case.
/// - It includes its condition: when the lab cannot run here (``Lab/availability``) the suite is
///   skipped with that reason, unless `PROBED_REQUIRE_LAB=1`, in which case it runs and fails at
///   once with the reason.
/// - Inside a scope that already has a lab (a test under a `.lab` suite marked `.lab` again),
///   the existing lab is used.
public struct LabTrait: SuiteTrait, TestTrait, TestScoping {
    public init() {}

    /// One lab per suite: the trait is not inherited by the suite's tests.
    public var isRecursive: Bool { false }

    /// Skips the test or suite (with ``Lab/availability``'s reason) when the lab cannot run here
    /// and is not required.
    public func prepare(for test: Test) async throws {
        try await ConditionTrait.labAvailable.prepare(for: test)
    }

    /// Builds a lab, runs the suite or test with it as ``Lab/current``, and removes it.
    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        if Lab.current != nil {
            try await function()
            return
        }
        try await Lab.withLab { _ in try await function() }
    }
}

extension Trait where Self == LabTrait {
    /// A fresh lab around the suite (or test), skipped with a reason where the lab cannot run; see
    /// ``LabTrait``.
    public static var lab: Self { LabTrait() }
}

extension Trait where Self == ConditionTrait {
    /// Enables a test or suite only where the lab can run (``Lab/availability``), or where it is
    /// required (`PROBED_REQUIRE_LAB=1`): for tests that build labs themselves with
    /// ``Lab/withLab(isolation:_:)``.
    public static var labAvailable: Self {
        .enabled(if: Lab.shouldRun, Comment(rawValue: Lab.skipReason))
    }
}
