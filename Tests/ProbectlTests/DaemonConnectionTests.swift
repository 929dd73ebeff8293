import Glibc
import ProbeProtocol
import Testing

@testable import probectl

@Suite(.serialized) struct DaemonConnectionTests {
    /// 1,000 checks through a window of 64: the server takes a full window, answers it in reverse
    /// order, and checks that no request came beyond the window.
    @Test func pipelinesWithinTheWindowAndMatchesAnswersById() throws {
        let total = 1_000
        let window = 64
        let server = try ScriptedServer { side in
            var remaining = total
            while remaining > 0 {
                let batch = side.take(min(window, remaining))
                if batch.isEmpty { return }
                side.notebook.note("surplus", side.surplus)
                side.notebook.note("malformed", side.malformed)
                remaining -= batch.count
                side.send(batch.reversed().map(\.freeVerdict))
            }
            side.waitForClose()
        }
        let addresses = (0..<total).map { IPAddress.v4(IPv4Address(0x0A00_0000 + UInt32($0))) }
        let connection = try DaemonConnection(path: server.path)
        connection.idleTimeout = .seconds(10)
        var seen = [Int](repeating: 0, count: total)
        var mismatched = 0
        try connection.exchange(
            addresses.lazy.map { .check(CheckRequest(addr: $0, timeoutMilliseconds: 100)) },
            window: window
        ) { answer in
            seen[answer.index] += 1
            if case .success(.verdict(let verdict, _)) = answer.response, verdict.addr == addresses[answer.index] {
                return
            }
            mismatched += 1
        }
        #expect(seen.allSatisfy { $0 == 1 })
        #expect(mismatched == 0)
        #expect(server.notebook.value("surplus") == 0)
        #expect(server.notebook.value("malformed") == 0)
    }

    @Test func errorAnswersAreAnswers() throws {
        let server = try ScriptedServer { side in
            let requests = side.take(2)
            side.send([
                .error(.notAllowed("203.0.113.9 is outside the allowed prefixes"), id: ResponseID(requests[1].id)),
                requests[0].freeVerdict,
            ])
            side.waitForClose()
        }
        let connection = try DaemonConnection(path: server.path)
        var answers: [Int: DaemonAnswer] = [:]
        try connection.exchange(
            [
                Request.Operation.check(CheckRequest(addr: IPAddress("198.51.100.1")!)),
                .check(CheckRequest(addr: IPAddress("203.0.113.9")!)),
            ],
            window: 8
        ) {
            answers[$0.index] = $0
        }
        #expect(answers[0]?.error == nil)
        #expect(answers[1]?.error?.code == .notAllowed)
        #expect(
            answers[1]?.line
                == Array(
                    (#"{"id":2,"ok":false,"error":{"code":"not_allowed","#
                        + #""message":"203.0.113.9 is outside the allowed prefixes"}}"#).utf8
                )
        )
    }

    @Test func closingWithAnswersOwedIsAnError() throws {
        let server = try ScriptedServer { side in _ = side.take(1) }
        let connection = try DaemonConnection(path: server.path)
        let error = #expect(throws: ClientError.self) {
            try connection.exchange(Array(repeating: Request.Operation.stats, count: 3), window: 8) { _ in }
        }
        #expect(error?.code == .connectionLost)
        #expect(error?.message == "probed at \(server.path) closed the connection with 3 requests unanswered")
    }

    /// The daemon writes the refusal (without a line feed, as `Response.encoded()` gives it) and closes.
    @Test func aRefusalWithoutIdEndsTheExchange() throws {
        let server = try ScriptedServer { side in
            side.send([.error(.overloaded("too many connections"), id: .null)], terminated: false)
        }
        let connection = try DaemonConnection(path: server.path)
        let error = #expect(throws: ClientError.self) { _ = try connection.send(.info) }
        #expect(error?.code == .refused)
        #expect(error?.message == "probed at \(server.path) refused the connection: overloaded: too many connections")
        // Kept byte for byte, for --json.
        let sent = Response.error(.overloaded("too many connections"), id: .null).encoded().dropLast()
        #expect(error?.answerLine == Array(sent))
    }

    @Test func anAnswerToNoRequestIsAProtocolViolation() throws {
        let server = try ScriptedServer { side in
            _ = side.take(1)
            side.send([.removed(1, id: 77)])
            side.waitForClose()
        }
        let connection = try DaemonConnection(path: server.path)
        let error = #expect(throws: ClientError.self) { _ = try connection.send(.forget(.all)) }
        #expect(error?.code == .protocolViolation)
    }

    @Test func silenceTimesOut() throws {
        let server = try ScriptedServer { side in side.waitForClose() }
        let connection = try DaemonConnection(path: server.path)
        connection.idleTimeout = .milliseconds(200)
        let error = #expect(throws: ClientError.self) { _ = try connection.send(.stats) }
        #expect(error?.code == .timedOut)
    }

    @Test func aMissingSocketSaysSo() {
        let path = "/tmp/probectl-test-\(getpid())-missing.sock"
        let error = #expect(throws: ClientError.self) { _ = try DaemonConnection(path: path) }
        #expect(
            error?.message
                == "cannot connect to \(path): no such file (is probed running? set --socket or PROBED_SOCKET)"
        )
    }

    @Test func aStaleSocketSaysProbedIsNotRunning() throws {
        let path = "/tmp/probectl-test-\(getpid())-stale.sock"
        let fd = try ScriptedServer.bind(path, listen: false)
        close(fd)
        defer { unlink(path) }
        let error = #expect(throws: ClientError.self) { _ = try DaemonConnection(path: path) }
        #expect(error?.message == "cannot connect to \(path): connection refused (probed is not running)")
    }

    @Test func aPathThatIsNotASocketSaysSo() {
        let error = #expect(throws: ClientError.self) { _ = try DaemonConnection(path: "/tmp") }
        #expect(error?.message == "cannot connect to /tmp: not a socket (set --socket or PROBED_SOCKET)")
    }
}
