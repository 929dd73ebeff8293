import ProbeProtocol
import Testing

/// Decodes `line`, expecting success.
func decodeRequest(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Request {
    switch Request.decode(Array(line.utf8)) {
    case .success(let request):
        return request
    case .failure(_, let error):
        Issue.record("\(line) failed: \(error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// Decodes `line`, expecting a failure; returns its id and error.
func decodeFailure(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> (ResponseID, ProbeError)? {
    switch Request.decode(Array(line.utf8)) {
    case .success(let request):
        Issue.record("\(line) should fail, got \(request)", sourceLocation: sourceLocation)
        return nil
    case .failure(let id, let error):
        #expect(error.code == .badRequest, sourceLocation: sourceLocation)
        return (id, error)
    }
}

@Suite("Request decoding")
struct RequestDecodingTests {
    let address = IPAddress("198.51.100.10")!

    @Test func check() throws {
        let request = try decodeRequest(#"{"id":7,"op":"check","addr":"198.51.100.10"}"#)
        #expect(request == Request(id: 7, operation: .check(CheckRequest(addr: address))))
        let full = try decodeRequest(
            #"{"op":"check","addr":"2001:0db8::0001","timeout_ms":10000,"attempts":10,"max_age_ms":0,"id":"a-1"}"#
        )
        #expect(full.id == .string("a-1"))
        #expect(
            full.operation
                == .check(
                    CheckRequest(
                        addr: IPAddress("2001:db8::1")!,
                        timeoutMilliseconds: 10000,
                        attempts: 10,
                        maxAgeMilliseconds: 0
                    )
                )
        )
        let low = try decodeRequest(#"{"op":"check","addr":"::ffff:198.51.100.10","timeout_ms":1,"attempts":1}"#)
        #expect(low.operation == .check(CheckRequest(addr: address, timeoutMilliseconds: 1, attempts: 1)))
        #expect(low.id == nil)
    }

    @Test func pick() throws {
        let request = try decodeRequest(
            #"{"id":1,"op":"pick","addrs":["198.51.100.10","198.51.100.11","fe80::1%eth0"],"timeout_ms":200}"#
        )
        #expect(
            request.operation
                == .pick(
                    PickRequest(
                        addrs: [address, IPAddress("198.51.100.11")!, IPAddress("fe80::1%eth0")!],
                        timeoutMilliseconds: 200
                    )
                )
        )
        let many = (0..<64).map { "\"198.51.100.\($0)\"" }.joined(separator: ",")
        let sixtyFour = try decodeRequest(#"{"op":"pick","addrs":[\#(many)]}"#)
        guard case .pick(let pick) = sixtyFour.operation else {
            Issue.record("expected a pick")
            return
        }
        #expect(pick.addrs.count == 64)
    }

    @Test func mark() throws {
        #expect(
            try decodeRequest(#"{"op":"mark","addr":"198.51.100.10","state":"in_use"}"#).operation
                == .mark(MarkRequest(addr: address, state: .inUse))
        )
        #expect(
            try decodeRequest(#"{"op":"mark","addr":"198.51.100.10","state":"free","ttl_ms":60000}"#).operation
                == .mark(MarkRequest(addr: address, state: .free, ttlMilliseconds: 60000))
        )
    }

    @Test func forget() throws {
        #expect(try decodeRequest(#"{"op":"forget","addr":"198.51.100.10"}"#).operation == .forget(.address(address)))
        #expect(
            try decodeRequest(#"{"op":"forget","prefix":"198.51.100.0/24"}"#).operation
                == .forget(.prefix(IPPrefix("198.51.100.0/24")!))
        )
        #expect(try decodeRequest(#"{"op":"forget","all":true}"#).operation == .forget(.all))
        #expect(
            try decodeRequest(#"{"op":"forget","addr":"198.51.100.10","all":false}"#).operation
                == .forget(.address(address)),
            "all:false is not a target"
        )
    }

    @Test func statsAndInfo() throws {
        #expect(try decodeRequest(#"{"op":"stats"}"#) == Request(operation: .stats))
        #expect(try decodeRequest(#"{"op":"info","id":3}"#) == Request(id: 3, operation: .info))
    }

    @Test func unknownFieldsAreIgnored() throws {
        let request = try decodeRequest(
            #"{"op":"check","addr":"198.51.100.10","future":{"x":[1,2,{"y":null}]},"state":"bogus","v":2.5}"#
        )
        #expect(request.operation == .check(CheckRequest(addr: address)))
    }

    @Test func idForms() throws {
        #expect(try decodeRequest(#"{"id":0,"op":"stats"}"#).id == .number(0))
        #expect(try decodeRequest(#"{"id":-5,"op":"stats"}"#).id == .number(-5))
        #expect(try decodeRequest(#"{"id":9007199254740991,"op":"stats"}"#).id == .number(9_007_199_254_740_991))
        #expect(try decodeRequest(#"{"id":-9007199254740991,"op":"stats"}"#).id == .number(-9_007_199_254_740_991))
        #expect(try decodeRequest(#"{"id":"","op":"stats"}"#).id == .string(""))
        #expect(try decodeRequest(#"{"id":"x\u00e9","op":"stats"}"#).id == .string("xé"))
        #expect(try decodeRequest(#"{"op":"stats"}"#).id == nil)
    }

    @Test(arguments: [
        #"{"id":9007199254740992,"op":"stats"}"#, #"{"id":-9007199254740992,"op":"stats"}"#,
        #"{"id":99999999999999999999999,"op":"stats"}"#, #"{"id":1.5,"op":"stats"}"#, #"{"id":1e3,"op":"stats"}"#,
        #"{"id":7.0,"op":"stats"}"#, #"{"id":true,"op":"stats"}"#, #"{"id":null,"op":"stats"}"#,
        #"{"id":{},"op":"stats"}"#, #"{"id":[1],"op":"stats"}"#, #"{"id":true,"op":"nope"}"#,
    ])
    func badIDsAnswerWithNullID(line: String) throws {
        let (id, error) = try #require(decodeFailure(line))
        #expect(id == .null)
        #expect(error.message.hasPrefix("id must be"))
    }

    @Test(arguments: [
        "not json", "{", "[1,2]", "\"check\"", "42", "null", #"{"op":"check","addr":"198.51.100.10"} x"#,
        #"{"op":"check","op":"stats"}"#,
    ])
    func notAnObjectAnswersWithNullID(line: String) throws {
        let (id, _) = try #require(decodeFailure(line))
        #expect(id == .null)
    }

    @Test func invalidUTF8AnswersWithNullID() throws {
        let line: [UInt8] = Array(#"{"id":1,"op":"check","addr":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)
        guard case .failure(let id, let error) = Request.decode(line) else {
            Issue.record("invalid UTF-8 must fail")
            return
        }
        #expect(id == .null)
        #expect(error.code == .badRequest)
        #expect(error.message.contains("UTF-8"))
    }

    @Test(arguments: [
        // (line, expected message)
        (#"{}"#, "missing op"),
        (#"{"id":4}"#, "missing op"),
        (#"{"op":5}"#, "op must be a string"),
        (#"{"op":null}"#, "op must be a string"),
        (#"{"op":"frobnicate"}"#, #"unknown op "frobnicate""#),
        (#"{"op":"CHECK","addr":"198.51.100.10"}"#, #"unknown op "CHECK""#),
        (#"{"op":"check"}"#, "missing addr"),
        (#"{"op":"check","addr":7}"#, "addr must be a string"),
        (#"{"op":"check","addr":null}"#, "addr must be a string"),
        (#"{"op":"check","addr":"256.1.1.1"}"#, #"addr is not a valid IP address: "256.1.1.1""#),
        (#"{"op":"check","addr":"2001:db8::1%eth0"}"#, #"addr is not a valid IP address: "2001:db8::1%eth0""#),
        (#"{"op":"check","addr":"198.51.100.10","timeout_ms":0}"#, "timeout_ms must be an integer from 1 to 10000"),
        (#"{"op":"check","addr":"198.51.100.10","timeout_ms":10001}"#, "timeout_ms must be an integer from 1 to 10000"),
        (#"{"op":"check","addr":"198.51.100.10","timeout_ms":300.5}"#, "timeout_ms must be an integer from 1 to 10000"),
        (#"{"op":"check","addr":"198.51.100.10","timeout_ms":3e2}"#, "timeout_ms must be an integer from 1 to 10000"),
        (#"{"op":"check","addr":"198.51.100.10","timeout_ms":"300"}"#, "timeout_ms must be an integer from 1 to 10000"),
        (#"{"op":"check","addr":"198.51.100.10","timeout_ms":null}"#, "timeout_ms must be an integer from 1 to 10000"),
        (#"{"op":"check","addr":"198.51.100.10","attempts":0}"#, "attempts must be an integer from 1 to 10"),
        (#"{"op":"check","addr":"198.51.100.10","attempts":11}"#, "attempts must be an integer from 1 to 10"),
        (#"{"op":"check","addr":"198.51.100.10","attempts":true}"#, "attempts must be an integer from 1 to 10"),
        (
            #"{"op":"check","addr":"198.51.100.10","max_age_ms":-1}"#,
            "max_age_ms must be an integer from 0 to 31536000000"
        ),
        (
            #"{"op":"check","addr":"198.51.100.10","max_age_ms":31536000001}"#,
            "max_age_ms must be an integer from 0 to 31536000000"
        ),
        (#"{"op":"pick"}"#, "missing addrs"),
        (#"{"op":"pick","addrs":[]}"#, "addrs must be an array of 1 to 64 addresses"),
        (#"{"op":"pick","addrs":"198.51.100.10"}"#, "addrs must be an array of 1 to 64 addresses"),
        (#"{"op":"pick","addrs":["198.51.100.10",5]}"#, "addrs[1] must be a string"),
        (
            #"{"op":"pick","addrs":["198.51.100.10","198.51.100.300"]}"#,
            #"addrs[1] is not a valid IP address: "198.51.100.300""#
        ),
        (#"{"op":"pick","addrs":["198.51.100.10"],"attempts":0}"#, "attempts must be an integer from 1 to 10"),
        (#"{"op":"mark","state":"in_use"}"#, "missing addr"),
        (#"{"op":"mark","addr":"198.51.100.10"}"#, "missing state"),
        (#"{"op":"mark","addr":"198.51.100.10","state":"unknown"}"#, #"state must be "in_use" or "free""#),
        (#"{"op":"mark","addr":"198.51.100.10","state":"pending"}"#, #"state must be "in_use" or "free""#),
        (#"{"op":"mark","addr":"198.51.100.10","state":1}"#, #"state must be "in_use" or "free""#),
        (
            #"{"op":"mark","addr":"198.51.100.10","state":"free","ttl_ms":0}"#,
            "ttl_ms must be an integer from 1 to 31536000000"
        ),
        (
            #"{"op":"mark","addr":"198.51.100.10","state":"free","ttl_ms":-5}"#,
            "ttl_ms must be an integer from 1 to 31536000000"
        ),
        (#"{"op":"forget"}"#, "forget needs exactly one of addr, prefix or all:true"),
        (#"{"op":"forget","all":false}"#, "forget needs exactly one of addr, prefix or all:true"),
        (#"{"op":"forget","all":"yes"}"#, "all must be a boolean"),
        (#"{"op":"forget","addr":"198.51.100.10","all":true}"#, "forget needs exactly one of addr, prefix or all:true"),
        (
            #"{"op":"forget","addr":"198.51.100.10","prefix":"198.51.100.0/24"}"#,
            "forget needs exactly one of addr, prefix or all:true"
        ),
        (#"{"op":"forget","prefix":"198.51.100.0/33"}"#, #"prefix is not a valid CIDR prefix: "198.51.100.0/33""#),
        (#"{"op":"forget","prefix":24}"#, "prefix must be a string"),
        (#"{"op":"forget","addr":"bogus"}"#, #"addr is not a valid IP address: "bogus""#),
    ])
    func badRequests(line: String, message: String) throws {
        let (_, error) = try #require(decodeFailure(line))
        #expect(error.message == message)
    }

    @Test func failuresKeepTheID() throws {
        let (numeric, _) = try #require(decodeFailure(#"{"id":11,"op":"check","addr":"x"}"#))
        #expect(numeric == .value(.number(11)))
        let (string, _) = try #require(decodeFailure(#"{"op":"nope","id":"req-9"}"#))
        #expect(string == .value(.string("req-9")))
        let (absent, _) = try #require(decodeFailure(#"{"op":"nope"}"#))
        #expect(absent == .absent)
    }

    @Test func tooManyPickCandidates() throws {
        let many = (0..<65).map { "\"198.51.100.\($0)\"" }.joined(separator: ",")
        let (_, error) = try #require(decodeFailure(#"{"op":"pick","addrs":[\#(many)]}"#))
        #expect(error.message == "addrs must be an array of 1 to 64 addresses")
    }

    @Test func longValuesAreCutInMessages() throws {
        let long = String(repeating: "x", count: 500)
        let (_, error) = try #require(decodeFailure(#"{"op":"\#(long)"}"#))
        #expect(error.message.count < 100)
    }

    @Test func decodesFromRawBuffers() {
        let bytes = Array(#"{"op":"stats"}"#.utf8)
        let result = bytes.withUnsafeBytes { Request.decode(buffer: $0) }
        #expect(result == .success(Request(operation: .stats)))
        #expect(Request.decode(#"{"op":"info"}"#.utf8) == .success(Request(operation: .info)))
    }
}
