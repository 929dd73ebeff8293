import LabSupport
import Logging
import ProbeProtocol
import Testing

@testable import ProbeCore

/// The two socket modes of the engine, and the lab namespace where each is what the kernel gives.
enum SocketMode: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `ping_group_range` admits root: kernel ping sockets.
    case dgram
    /// `ping_group_range` is `1 0`: the raw-socket fallback.
    case raw

    var testDescription: String { rawValue }

    func namespace(in lab: Lab) -> String {
        switch self {
        case .dgram: lab.dut
        case .raw: lab.dutRaw
        }
    }

    var kind: EchoSocket.Kind {
        switch self {
        case .dgram: .dgram
        case .raw: .raw
        }
    }
}

/// Opens an engine inside a lab namespace, runs it for `body`, and stops it.
func withEngine<T: Sendable>(
    _ mode: SocketMode,
    configuration: EchoEngine.Configuration = EchoEngine.Configuration(),
    _ body: (EchoEngine) async throws -> T
) async throws -> T {
    let lab = try Lab.required
    let engine = try Lab.withNamespace(mode.namespace(in: lab)) {
        try EchoEngine(configuration: configuration, logger: Logger(label: "engine-lab-test"))
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await engine.run() }
        defer { group.cancelAll() }
        return try await body(engine)
    }
}

extension ProbeOutcome.Result {
    var isReply: Bool {
        if case .reply = self { return true }
        return false
    }

    var isSendFailure: Bool {
        if case .sendFailed = self { return true }
        return false
    }
}

/// Milliseconds of a duration.
func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1000 + Double(attoseconds) / 1e15
}
