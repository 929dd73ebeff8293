import ProbeProtocol

extension QueryDispatcher {
    /// The `stats` object: the contract's fields first, then more detail by part.
    func statisticsObject() -> JSONValue {
        let checks = checker.statistics()
        let echo = engine.statistics()
        let server = server()
        var errors = JSONObject()
        for code in ProbeError.Code.allCases {
            let count = (server.errors[code] ?? 0)
            errors.members.append(.init(key: code.rawValue, value: .integer(count)))
        }
        var byState = JSONObject()
        for state in [VerdictState.inUse, .free, .unknown] {
            byState.members.append(.init(key: state.rawValue, value: .integer(checks.verdicts[state: state])))
        }
        var byEvidence = JSONObject()
        for evidence in Evidence.allCases {
            byEvidence.members.append(.init(key: evidence.rawValue, value: .integer(checks.verdicts[evidence: evidence])))
        }
        let rtt: JSONValue = .object([
            "p50": .integer(checks.roundTrip?.p50 ?? 0),
            "p90": .integer(checks.roundTrip?.p90 ?? 0),
            "p99": .integer(checks.roundTrip?.p99 ?? 0),
            "max": .integer(checks.roundTrip?.maximum ?? 0),
            "count": .integer(checks.roundTrip?.count ?? 0),
        ])
        return .object([
            "checks": .integer(checks.checks),
            "probes_sent": .integer(echo.echoesSent),
            "replies": .integer(echo.replies),
            "timeouts": .integer(echo.timeouts),
            "unknowns": .integer(checks.answers[state: .unknown]),
            "cache_hits": .integer(checks.cacheHits),
            "coalesced": .integer(checks.coalesced),
            "in_flight": .integer(echo.inFlight),
            "on_link_in_flight": .integer(echo.onLinkInFlight),
            "cache_entries": .integer(checks.cacheEntries),
            "errors": .object(errors),
            "uptime_s": .integer((ContinuousClock.now - startedAt).components.seconds),
            "rtt_us": rtt,
            "picks": .integer(checks.picks),
            "marks": .integer(checks.marks),
            "forgets": .integer(checks.forgets),
            "probes": .integer(echo.probes),
            "verdicts": .object(byState),
            "evidence": .object(byEvidence),
            "cache_evictions": .integer(checks.cacheEvictions),
            "unreachables": .integer(echo.unreachables),
            "send_failures": .integer(echo.sendFailures),
            "not_sent": .integer(echo.notSent),
            "overloaded": .integer(echo.overloaded),
            "ignored_replies": .integer(echo.ignoredReplies),
            "retried_sends": .integer(echo.retriedSends),
            "neighbor_confirmations": .integer(echo.neighborConfirmations),
            "neighbor_errors": .integer(echo.neighborErrors),
            "neighbor_solicitations": .integer(echo.solicitationsSent),
            "neighbor_solicit_answers": .integer(echo.solicitationAnswers),
            "receive_drops": .integer(echo.receiveDrops),
            "receive_buffer_bytes": .integer(engine.receiveBufferBytes.values.min() ?? 0),
            "connections": .integer(server.connections),
            "open_connections": .integer(server.openConnections),
            "refused_connections": .integer(server.refusedConnections),
            "requests": .integer(server.requests),
            "pools": poolsStatistics(),
        ])
    }
}
