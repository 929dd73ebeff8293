package import ProbeProtocol

/// Answers each protocol request with the checker, and `stats` / `info` from the parts' counters.
package struct QueryDispatcher: QueryHandler {
    let checker: Checker
    let engine: EchoEngine
    let server: @Sendable () -> ServerStatistics
    let startedAt: ContinuousClock.Instant
    let neighborEvidence: @Sendable () -> Bool
    /// The warm pools' sweeper, for `info` and `stats` (QueryDispatcher+Pools.swift).
    let pools: PoolSweeper?

    package init(
        checker: Checker,
        engine: EchoEngine,
        server: @escaping @Sendable () -> ServerStatistics,
        neighborEvidence: @escaping @Sendable () -> Bool,
        pools: PoolSweeper? = nil
    ) {
        self.checker = checker
        self.engine = engine
        self.server = server
        self.startedAt = .now
        self.neighborEvidence = neighborEvidence
        self.pools = pools
    }

    package func handle(_ request: Request, receivedAt: UInt64) async -> Response {
        let id = ResponseID(request.id)
        switch request.operation {
        case .check(let check):
            // Checks are answered in `answer` and never come here from the query server; a caller
            // that sends one anyway is answered through the same entry point, its deadline counted
            // from now.
            let slot = AnswerSlot<Result<Verdict, ProbeError>>()
            checker.check([(check, id)], receivedAt: checker.clock()) { result, _ in slot.fulfil(result) }
            switch await slot.value(ifCancelled: .failure(Checker.cancelled)) {
            case .success(let verdict): return .verdict(verdict, id: id)
            case .failure(let error): return .error(error, id: id)
            }
        case .pick(let pick):
            switch await checker.pick(pick, receivedAt: receivedAt) {
            case .success(let answer): return .pick(answer, id: id)
            case .failure(let error): return .error(error, id: id)
            }
        case .mark, .forget, .stats, .info:
            return answerSynchronously(request.operation, id: id)!
        }
    }

    /// The operations that never wait: `mark`, `forget`, `stats`, `info`.
    private func answerSynchronously(_ operation: Request.Operation, id: ResponseID) -> Response? {
        switch operation {
        case .mark(let mark):
            switch checker.mark(mark) {
            case .success: return .ok(id: id)
            case .failure(let error): return .error(error, id: id)
            }
        case .forget(let forget):
            return .removed(checker.forget(forget), id: id)
        case .stats:
            return .stats(statisticsObject(), id: id)
        case .info:
            return .info(infoObject(), id: id)
        case .check, .pick:
            return nil
        }
    }

    package func answer(_ request: Request, receivedAt: UInt64, reply: @escaping @Sendable (Response) -> Void) -> Bool {
        switch request.operation {
        case .check(let check):
            checker.check([(check, ResponseID(request.id))], receivedAt: receivedAt) { result, id in
                switch result {
                case .success(let verdict): reply(.verdict(verdict, id: id))
                case .failure(let error): reply(.error(error, id: id))
                }
            }
            return true
        case .mark, .forget, .info:
            reply(answerSynchronously(request.operation, id: ResponseID(request.id))!)
            return true
        case .pick, .stats:
            // A pick waits for several verdicts; `stats` counts pool verdicts over the whole
            // cache: neither belongs on an event loop.
            return false
        }
    }

    package func answer(_ requests: [Request], receivedAt: UInt64, reply: @escaping @Sendable (Response) -> Void) -> [Request] {
        var checks: [(request: CheckRequest, id: ResponseID)] = []
        var declined: [Request] = []
        let answer: Checker.SharedAnswer = { result, id in
            switch result {
            case .success(let verdict): reply(.verdict(verdict, id: id))
            case .failure(let error): reply(.error(error, id: id))
            }
        }
        for request in requests {
            if case .check(let check) = request.operation {
                checks.append((check, ResponseID(request.id)))
                continue
            }
            // Requests take effect in the order they were read: the checks before this one first.
            if !checks.isEmpty {
                checker.check(checks, receivedAt: receivedAt, answer: answer)
                checks.removeAll()
            }
            if !self.answer(request, receivedAt: receivedAt, reply: reply) { declined.append(request) }
        }
        if !checks.isEmpty { checker.check(checks, receivedAt: receivedAt, answer: answer) }
        return declined
    }

    /// The version `info` reports.
    package static let version = "0.1.0"

    func infoObject() -> JSONValue {
        let families = IPFamily.allCases.filter { engine.socketKinds[$0] != nil }
        var kinds = JSONObject()
        for family in families {
            kinds.members.append(.init(key: family.rawValue, value: .string(engine.socketKinds[family]!.rawValue)))
        }
        return .object([
            "version": .string(Self.version),
            "protocol": .integer(1),
            "families": .array(families.map { .string($0.rawValue) }),
            "socket_kind": .object(kinds),
            "neighbor_evidence": .bool(neighborEvidence()),
            "neighbor_solicit": .string(engine.neighborSolicitation),
            "max_on_link_in_flight": .integer(engine.onLinkProbeBudget),
            "on_link_prefixes": .array(engine.linkPrefixes.map { .string($0.description) }),
            "pools": poolsInfo(),
            "pools_max_pps": poolsMaxPPS(),
            "task_executor": .string(DaemonProcess.taskExecutor.rawValue),
        ])
    }
}
