import ProbeProtocol
import Testing

@Suite("Response decoding")
struct ResponseDecodingTests {
    func decode(_ text: String, _ kind: OperationKind? = nil) throws -> Response {
        try Response.decode(Array(text.utf8), expecting: kind)
    }

    @Test(arguments: [
        Response.verdict(
            Verdict(addr: IPAddress("198.51.100.10")!, state: .inUse, evidence: .echoReply, rttMicroseconds: 412),
            id: 7
        ),
        Response.verdict(
            Verdict(
                addr: IPAddress("fe80::1%eth0")!,
                state: .inUse,
                evidence: .neighbor,
                mac: "02:00:00:00:00:14",
                cached: true,
                ageMilliseconds: 99
            ),
            id: "n"
        ),
        Response.verdict(
            Verdict(addr: IPAddress("100.64.0.5")!, state: .unknown, evidence: .notSent, reason: "not sent in time"),
            id: .absent
        ),
        Response.pick(
            PickAnswer(
                addr: IPAddress("198.51.100.77")!,
                results: [
                    .settled(Verdict(addr: IPAddress("198.51.100.77")!, state: .free, evidence: .timeout)),
                    .pending(IPAddress("198.51.100.78")!),
                ]
            ),
            id: 2
        ),
        Response.pick(PickAnswer(addr: nil, results: [.pending(IPAddress("::1")!)]), id: 3),
        Response.ok(id: 4),
        Response.removed(12, id: 5),
        Response.stats(["checks": 1, "rtt_us": ["p50": 2]], id: 6),
        Response.info(["version": "1.0", "protocol": 1, "families": ["ipv4"]], id: 7),
        Response.error(.notAllowed("203.0.113.9 is outside the allowed prefixes"), id: 11),
        Response.error(.badRequest("invalid JSON"), id: .null),
        Response.error(ProbeError(code: ProbeError.Code(rawValue: "future_code"), message: "m"), id: .absent),
    ])
    func roundTripGuessingTheKind(response: Response) throws {
        let bytes = response.encoded()
        #expect(try Response.decode(bytes) == response)
    }

    @Test func expectedKindDecides() throws {
        #expect(try decode(#"{"id":1,"ok":true}"#, .mark) == .ok(id: 1))
        #expect(try decode(#"{"id":1,"ok":true,"extra":2}"#, .mark) == .ok(id: 1))
        #expect(try decode(#"{"ok":true,"removed":0}"#, .forget) == .removed(0, id: .absent))
        #expect(try decode(#"{"ok":true,"version":"1"}"#, .info) == .info(["version": "1"], id: .absent))
        #expect(
            try decode(#"{"ok":false,"error":{"code":"overloaded","message":"busy"}}"#, .check)
                == .error(.overloaded("busy"), id: .absent)
        )
    }

    @Test(
        arguments: [
            ("not json", nil), ("[1]", nil), (#"{"id":1}"#, nil), (#"{"ok":"yes"}"#, nil), (#"{"ok":false}"#, nil),
            (#"{"ok":false,"error":{"code":"x"}}"#, nil), (#"{"id":1.5,"ok":true}"#, nil),
            (
                #"{"ok":true,"addr":"x","state":"free","evidence":"timeout","cached":false,"age_ms":0}"#,
                OperationKind.check
            ),
            (#"{"ok":true,"addr":"10.0.0.1","state":"maybe","evidence":"timeout","cached":false,"age_ms":0}"#, .check),
            (#"{"ok":true,"addr":"10.0.0.1","state":"free","evidence":"timeout","cached":false}"#, .check),
            (
                #"{"ok":true,"addr":"10.0.0.1","state":"free","evidence":"timeout","cached":false,"age_ms":0,"rtt_us":"1"}"#,
                .check
            ),
            (#"{"ok":true,"addr":5,"results":[]}"#, .pick), (#"{"ok":true,"addr":null}"#, .pick),
            (#"{"ok":true,"addr":null,"results":[{"state":"pending"}]}"#, .pick),
            (#"{"ok":true}"#, .forget), (#"{"ok":true,"stats":1}"#, .stats),
        ] as [(String, OperationKind?)]
    )
    func malformed(text: String, kind: OperationKind?) {
        #expect(throws: ResponseDecodingError.self, "\(text)") { try decode(text, kind) }
    }
}
