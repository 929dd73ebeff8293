@testable import ProbeProtocol

/// The request-line target: the daemon's decoder on arbitrary lines, and its fast path against the
/// full decoder.
///
/// - Whenever ``RequestFastPath`` accepts a line, the full decoder (JSON tree, then
///   ``Request/decode(json:)``) must produce the same request.
/// - A decoded request, written the way a client writes it, must decode to itself.
/// - A refused line's error answer (which quotes what the client sent) must encode within its
///   reserved space and read back as the same error.
/// - At start (``checkOrdinaryLines()``), the fast path must accept a set of ordinary lines, so
///   that a fast path that gives up on everything fails the run.
enum RequestLinesFuzz {
    static let ordinaryLines: [String] = [
        #"{"id":7,"op":"check","addr":"198.51.100.10"}"#,
        #"{"id":"a","op":"check","addr":"2001:db8::1","timeout_ms":300,"attempts":2,"max_age_ms":0}"#,
        #" { "op" : "check" , "addr" : "fe80::1%eth0" , "id" : -12 } "#,
        #"{"op":"check","addr":"::ffff:198.51.100.7","max_age_ms":31536000000}"#,
        #"{"op":"pick","addrs":["198.51.100.1", "198.51.100.2" ,"::ffff:198.51.100.3"],"max_age_ms":100}"#,
        #"{"id":3,"op":"pick","addrs":["2001:db8::5","2001:db8::6"],"timeout_ms":10000,"attempts":10}"#,
        #"{"op":"mark","addr":"198.51.100.10","state":"in_use","ttl_ms":60000}"#,
        #"{"op":"mark","addr":"198.51.100.10","state":"free"}"#,
        #"{"op":"forget","addr":"198.51.100.10"}"#,
        #"{"op":"forget","prefix":"198.51.100.0/24"}"#,
        #"{"op":"forget","prefix":"2001:db8::/32","all":false}"#,
        #"{"op":"forget","all":true}"#,
        #"{"op":"stats","id":9007199254740991}"#,
        #"{"op":"info","id":-9007199254740991}"#,
    ]

    /// Requests as a client library writes them (``Request/encode(into:)``).
    static let ordinaryRequests: [Request] = [
        Request(id: 1, operation: .check(CheckRequest(addr: IPAddress("198.51.100.10")!))),
        Request(id: "x", operation: .check(CheckRequest(addr: IPAddress("2001:db8::1")!, timeoutMilliseconds: 250, attempts: 3, maxAgeMilliseconds: 0))),
        Request(operation: .pick(PickRequest(addrs: [IPAddress("198.51.100.1")!, IPAddress("fe80::1%eth0")!], maxAgeMilliseconds: 10_000))),
        Request(id: 42, operation: .mark(MarkRequest(addr: IPAddress("203.0.113.9")!, state: .inUse, ttlMilliseconds: 5_000))),
        Request(id: 43, operation: .forget(.prefix(IPPrefix("198.51.100.0/24")!))),
        Request(id: 44, operation: .forget(.all)),
        Request(id: 45, operation: .stats),
    ]

    static func checkOrdinaryLines() {
        var lines = ordinaryLines.map { Array($0.utf8) }
        lines += ordinaryRequests.map { $0.encoded() }
        for line in lines {
            let fast = line.withUnsafeBufferPointer { RequestFastPath.decode($0) }
            guard let fast else { FuzzCheck.fail("the fast path gives up on an ordinary line: \(FuzzCheck.show(line))") }
            guard line.withUnsafeBufferPointer({ fullDecode($0) }) == .success(fast) else {
                FuzzCheck.fail("the fast path and the full decoder disagree on an ordinary line: \(FuzzCheck.show(line))")
            }
        }
    }

    /// The full decoder alone.
    static func fullDecode(_ bytes: UnsafeBufferPointer<UInt8>) -> Request.DecodeResult {
        switch JSONParser.parseResult(bytes, maxDepth: JSONParser.defaultMaxDepth) {
        case .success(let json): Request.decode(json: json)
        case .failure(let error): .failure(id: .null, error: .badRequest("invalid JSON: \(error)"))
        }
    }

    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        let full = fullDecode(bytes)
        if let fast = RequestFastPath.decode(bytes), full != .success(fast) {
            FuzzCheck.fail("fast path \(fast) but full decoder \(full) on \(FuzzCheck.show(bytes))")
        }
        let daemon = Request.decode(buffer: UnsafeRawBufferPointer(bytes))
        guard daemon == full else { FuzzCheck.fail("Request.decode \(daemon) but full decoder \(full)") }
        switch daemon {
        case .success(let request):
            let line = request.encoded()
            let again = Request.decode(line)
            guard again == .success(request) else {
                FuzzCheck.fail("\(request) encodes as \(FuzzCheck.show(line)), which decodes as \(again)")
            }
        case .failure(let id, let error):
            let answer = Response.error(error, id: id).encoded()
            do throws(ResponseDecodingError) {
                let read = try Response.decode(answer)
                guard read == .error(error, id: id) else {
                    FuzzCheck.fail("the error answer \(FuzzCheck.show(answer)) reads back as \(read)")
                }
            } catch {
                FuzzCheck.fail("the error answer \(FuzzCheck.show(answer)) does not read back: \(error)")
            }
        }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: OpaquePointer?, _ argv: OpaquePointer?) -> Int32 {
    RequestLinesFuzz.checkOrdinaryLines()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    RequestLinesFuzz.run(FuzzCheck.bytes(data, size))
    return 0
}
