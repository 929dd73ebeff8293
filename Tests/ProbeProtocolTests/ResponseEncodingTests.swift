import ProbeProtocol
import Testing

func line(_ response: Response) -> String {
    String(decoding: response.encoded(), as: UTF8.self)
}

@Suite("Response encoding")
struct ResponseEncodingTests {
    @Test func designVerdictExamples() {
        let echo = Verdict(
            addr: IPAddress("198.51.100.10")!,
            state: .inUse,
            evidence: .echoReply,
            rttMicroseconds: 412
        )
        #expect(
            line(.verdict(echo, id: 7))
                == #"{"id":7,"ok":true,"addr":"198.51.100.10","state":"in_use","evidence":"echo_reply","rtt_us":412,"cached":false,"age_ms":0}"#
                + "\n"
        )
        let timeout = Verdict(addr: IPAddress("198.51.100.77")!, state: .free, evidence: .timeout)
        #expect(
            line(.verdict(timeout, id: 8))
                == #"{"id":8,"ok":true,"addr":"198.51.100.77","state":"free","evidence":"timeout","cached":false,"age_ms":0}"#
                + "\n"
        )
        let neighbor = Verdict(
            addr: IPAddress("198.51.100.20")!,
            state: .inUse,
            evidence: .neighbor,
            mac: "02:00:00:00:00:14"
        )
        #expect(
            line(.verdict(neighbor, id: 9))
                == #"{"id":9,"ok":true,"addr":"198.51.100.20","state":"in_use","evidence":"neighbor","mac":"02:00:00:00:00:14","cached":false,"age_ms":0}"#
                + "\n"
        )
        let failed = Verdict(
            addr: IPAddress("100.64.0.5")!,
            state: .unknown,
            evidence: .sendFailed,
            reason: "network unreachable"
        )
        #expect(
            line(.verdict(failed, id: 10))
                == #"{"id":10,"ok":true,"addr":"100.64.0.5","state":"unknown","evidence":"send_failed","reason":"network unreachable","cached":false,"age_ms":0}"#
                + "\n"
        )
    }

    @Test func designErrorExample() {
        let error = ProbeError.notAllowed("203.0.113.9 is outside the allowed prefixes")
        #expect(
            line(.error(error, id: 11))
                == #"{"id":11,"ok":false,"error":{"code":"not_allowed","message":"203.0.113.9 is outside the allowed prefixes"}}"#
                + "\n"
        )
    }

    @Test func idForms() {
        #expect(line(.ok(id: .absent)) == "{\"ok\":true}\n")
        #expect(line(.ok(id: .null)) == "{\"id\":null,\"ok\":true}\n")
        #expect(line(.ok(id: "a\"b")) == "{\"id\":\"a\\\"b\",\"ok\":true}\n")
        #expect(line(.ok(id: .value(.number(-9_007_199_254_740_991)))) == "{\"id\":-9007199254740991,\"ok\":true}\n")
        #expect(line(.ok(id: ResponseID(nil))) == "{\"ok\":true}\n")
        #expect(line(.ok(id: ResponseID(.number(3)))) == "{\"id\":3,\"ok\":true}\n")
        #expect(
            line(.error(.badRequest("invalid JSON: unexpected character at byte 0"), id: .null))
                == #"{"id":null,"ok":false,"error":{"code":"bad_request","message":"invalid JSON: unexpected character at byte 0"}}"#
                + "\n"
        )
    }

    @Test func cachedIPv6VerdictWithEverything() {
        let verdict = Verdict(
            addr: IPAddress("fe80::1%eth0")!,
            state: .inUse,
            evidence: .echoReply,
            rttMicroseconds: 5,
            mac: "02:00:00:00:00:01",
            reason: "why \"not\"",
            cached: true,
            ageMilliseconds: 1234
        )
        #expect(
            line(.verdict(verdict, id: "q"))
                == #"{"id":"q","ok":true,"addr":"fe80::1%eth0","state":"in_use","evidence":"echo_reply","rtt_us":5,"mac":"02:00:00:00:00:01","reason":"why \"not\"","cached":true,"age_ms":1234}"#
                + "\n"
        )
    }

    @Test func pick() {
        let chosen = Verdict(addr: IPAddress("198.51.100.77")!, state: .free, evidence: .timeout)
        let busy = Verdict(
            addr: IPAddress("198.51.100.76")!,
            state: .inUse,
            evidence: .echoReply,
            rttMicroseconds: 300,
            cached: true,
            ageMilliseconds: 20
        )
        let answer = PickAnswer(
            addr: chosen.addr,
            results: [.settled(busy), .settled(chosen), .pending(IPAddress("2001:db8::1")!)]
        )
        #expect(
            line(.pick(answer, id: 3))
                == #"{"id":3,"ok":true,"addr":"198.51.100.77","results":[{"addr":"198.51.100.76","state":"in_use","evidence":"echo_reply","rtt_us":300,"cached":true,"age_ms":20},{"addr":"198.51.100.77","state":"free","evidence":"timeout","cached":false,"age_ms":0},{"addr":"2001:db8::1","state":"pending"}]}"#
                + "\n"
        )
        let none = PickAnswer(addr: nil, results: [.settled(busy)])
        #expect(line(.pick(none, id: .absent)).hasPrefix(#"{"ok":true,"addr":null,"results":[{"addr":"198.51.100.76""#))
    }

    @Test func otherAnswers() {
        #expect(line(.ok(id: 5)) == "{\"id\":5,\"ok\":true}\n")
        #expect(line(.removed(3, id: 6)) == "{\"id\":6,\"ok\":true,\"removed\":3}\n")
        let stats: JSONValue = ["checks": 10, "errors": ["bad_request": 1], "rtt_us": ["p50": 400, "p90": 900]]
        #expect(
            line(.stats(stats, id: 7))
                == #"{"id":7,"ok":true,"stats":{"checks":10,"errors":{"bad_request":1},"rtt_us":{"p50":400,"p90":900}}}"#
                + "\n"
        )
        let info: JSONValue = [
            "version": "0.1.0", "protocol": 1, "families": ["ipv4", "ipv6"],
            "socket_kind": ["ipv4": "dgram", "ipv6": "raw"], "neighbor_evidence": true, "ok": false,
        ]
        #expect(
            line(.info(info, id: 8))
                == #"{"id":8,"ok":true,"version":"0.1.0","protocol":1,"families":["ipv4","ipv6"],"socket_kind":{"ipv4":"dgram","ipv6":"raw"},"neighbor_evidence":true}"#
                + "\n"
        )
    }

    @Test func everyErrorCode() {
        let codes = ProbeError.Code.allCases.map(\.rawValue)
        #expect(codes == ["bad_request", "not_allowed", "overloaded", "too_large", "unavailable", "internal"])
        #expect(
            line(.error(.tooLarge("line longer than 4096 bytes"), id: .null))
                == #"{"id":null,"ok":false,"error":{"code":"too_large","message":"line longer than 4096 bytes"}}"#
                + "\n"
        )
        #expect(ProbeError.overloaded("x").code == .overloaded)
        #expect(ProbeError.unavailable("x").code == .unavailable)
        #expect(ProbeError.internal("x").code.rawValue == "internal")
        #expect(ProbeError.badRequest("x").code == ProbeError.Code(rawValue: "bad_request"))
    }

    @Test func worstCaseEscapingFitsAndStaysValidJSON() throws {
        let nasty = String(repeating: "\u{1}\"\\\n", count: 300) + "é😀"
        let weirdZone = IPAddress.v6(IPv6Address(high: 0xFE80_0000_0000_0000, low: 1, zone: "a\"b\u{2}c"))
        let verdict = Verdict(
            addr: weirdZone,
            state: .unknown,
            evidence: .notSent,
            rttMicroseconds: .max,
            mac: nasty,
            reason: nasty,
            cached: true,
            ageMilliseconds: .min
        )
        let responses: [Response] = [
            .verdict(verdict, id: .value(.string(nasty))),
            .pick(PickAnswer(addr: weirdZone, results: [.settled(verdict), .pending(weirdZone)]), id: .null),
            .error(ProbeError(code: ProbeError.Code(rawValue: nasty), message: nasty), id: .value(.number(.min))),
            .removed(.max, id: .value(.string(nasty))),
        ]
        for response in responses {
            let bytes = response.encoded()
            #expect(bytes.last == UInt8(ascii: "\n"))
            let json = try JSONParser.parse(bytes.dropLast())
            #expect(json["id"] != nil || response.id == .absent)
        }
        var plain = verdict
        plain.addr = IPAddress("fe80::1%eth0")!
        let decoded = try Response.decode(Response.verdict(plain, id: .value(.string(nasty))).encoded())
        guard case .verdict(let back, let id) = decoded else {
            Issue.record("expected a verdict")
            return
        }
        #expect(back.reason == nasty)
        #expect(back.mac == nasty)
        #expect(id == .value(.string(nasty)))
    }

    @Test func appendsWithoutClearing() {
        var bytes = Array("prefix".utf8)
        Response.ok(id: 1).encode(into: &bytes)
        Response.ok(id: 2).encode(into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "prefix{\"id\":1,\"ok\":true}\n{\"id\":2,\"ok\":true}\n")
    }
}

@Suite("Request encoding")
struct RequestEncodingTests {
    func text(_ request: Request) -> String { String(decoding: request.encoded(), as: UTF8.self) }

    @Test func shapes() {
        let address = IPAddress("198.51.100.10")!
        #expect(
            text(Request(id: 7, operation: .check(CheckRequest(addr: address))))
                == #"{"id":7,"op":"check","addr":"198.51.100.10"}"#
        )
        #expect(
            text(
                Request(
                    operation: .check(
                        CheckRequest(
                            addr: address,
                            timeoutMilliseconds: 300,
                            attempts: 2,
                            maxAgeMilliseconds: 0
                        )
                    )
                )
            )
                == #"{"op":"check","addr":"198.51.100.10","timeout_ms":300,"attempts":2,"max_age_ms":0}"#
        )
        #expect(
            text(
                Request(
                    id: "p",
                    operation: .pick(PickRequest(addrs: [address, IPAddress("2001:db8::1")!], attempts: 1))
                )
            )
                == #"{"id":"p","op":"pick","addrs":["198.51.100.10","2001:db8::1"],"attempts":1}"#
        )
        #expect(
            text(Request(operation: .mark(MarkRequest(addr: address, state: .inUse, ttlMilliseconds: 90000))))
                == #"{"op":"mark","addr":"198.51.100.10","state":"in_use","ttl_ms":90000}"#
        )
        #expect(text(Request(operation: .forget(.address(address)))) == #"{"op":"forget","addr":"198.51.100.10"}"#)
        #expect(
            text(Request(operation: .forget(.prefix(IPPrefix("2001:db8::/32")!))))
                == #"{"op":"forget","prefix":"2001:db8::/32"}"#
        )
        #expect(text(Request(operation: .forget(.all))) == #"{"op":"forget","all":true}"#)
        #expect(text(Request(id: 1, operation: .stats)) == #"{"id":1,"op":"stats"}"#)
        #expect(text(Request(operation: .info)) == #"{"op":"info"}"#)
    }

    @Test(arguments: [
        Request(id: 7, operation: .check(CheckRequest(addr: IPAddress("fe80::1%eth0")!, timeoutMilliseconds: 50))),
        Request(id: "x", operation: .pick(PickRequest(addrs: [IPAddress("10.0.0.1")!], maxAgeMilliseconds: 5))),
        Request(operation: .mark(MarkRequest(addr: IPAddress("10.0.0.1")!, state: .free))),
        Request(id: -3, operation: .forget(.prefix(IPPrefix("10.0.0.0/8")!))),
        Request(operation: .forget(.all)),
        Request(operation: .stats),
        Request(operation: .info),
    ])
    func roundTrip(request: Request) {
        #expect(Request.decode(request.encoded()) == .success(request))
    }
}
