@testable import ProbeProtocol

/// The answer-line target: probectl's verdict fast path (``Response/decodeVerdict(_:)``) against
/// the full answer decoder, and the answer encoder against the decoder.
///
/// - Whenever the fast path reads a verdict, ``Response/decode(_:expecting:)`` must read the same
///   verdict and id, whether told it answers a `check` or left to guess.
/// - A verdict, `pick` answer or error that the full decoder reads must encode within its reserved
///   space and read back as itself.
/// - At start (``checkOrdinaryLines()``), the fast path must read what the daemon writes.
enum VerdictLinesFuzz {
    static func ordinaryAnswers() -> [(Int64, Verdict)] {
        var answers: [(Int64, Verdict)] = []
        for text in ["198.51.100.7", "2001:db8::1", "fe80::1%eth0", "::ffff:203.0.113.9"] {
            let addr = IPAddress(text)!
            answers.append((1, Verdict(addr: addr, state: .inUse, evidence: .echoReply, rttMicroseconds: 412)))
            answers.append((2, Verdict(addr: addr, state: .inUse, evidence: .neighbor, mac: "02:00:00:00:00:14", cached: true, ageMilliseconds: 1234)))
            answers.append((3, Verdict(addr: addr, state: .free, evidence: .timeout, cached: true)))
            answers.append((4, Verdict(addr: addr, state: .free, evidence: .unreachable)))
            answers.append((5, Verdict(addr: addr, state: .unknown, evidence: .sendFailed, reason: "network unreachable")))
            answers.append((9_007_199_254_740_991, Verdict(addr: addr, state: .inUse, evidence: .marked, cached: true, ageMilliseconds: 99)))
        }
        return answers
    }

    static func checkOrdinaryLines() {
        for (id, verdict) in ordinaryAnswers() {
            let line = Array(Response.verdict(verdict, id: .value(.number(id))).encoded().dropLast())
            guard let fast = line.withUnsafeBufferPointer({ Response.decodeVerdict($0) }) else {
                FuzzCheck.fail("the verdict fast path gives up on an ordinary answer: \(FuzzCheck.show(line))")
            }
            guard fast.id == id, fast.verdict == verdict else {
                FuzzCheck.fail("the verdict fast path misreads an ordinary answer: \(FuzzCheck.show(line)) as \(fast)")
            }
        }
    }

    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        let asCheck = try? Response.decode(bytes, expecting: .check)
        if let (id, verdict) = Response.decodeVerdict(bytes) {
            let expected = Response.verdict(verdict, id: .value(.number(id)))
            guard asCheck == expected else {
                FuzzCheck.fail("fast path \(expected) but full decoder \(String(describing: asCheck)) on \(FuzzCheck.show(bytes))")
            }
            let guessed = try? Response.decode(bytes)
            guard guessed == expected else {
                FuzzCheck.fail("fast path \(expected) but full decoder (guessing) \(String(describing: guessed)) on \(FuzzCheck.show(bytes))")
            }
        }
        if let asCheck { roundTrip(asCheck, kind: .check) }
        if let asPick = try? Response.decode(bytes, expecting: .pick) { roundTrip(asPick, kind: .pick) }
    }

    static func roundTrip(_ response: Response, kind: OperationKind) {
        let line = response.encoded()
        do throws(ResponseDecodingError) {
            let read = try Response.decode(line, expecting: kind)
            guard read == response else { FuzzCheck.fail("\(response) encodes as \(FuzzCheck.show(line)), read back as \(read)") }
        } catch {
            FuzzCheck.fail("\(response) encodes as \(FuzzCheck.show(line)), which does not read back: \(error)")
        }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: OpaquePointer?, _ argv: OpaquePointer?) -> Int32 {
    VerdictLinesFuzz.checkOrdinaryLines()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    VerdictLinesFuzz.run(FuzzCheck.bytes(data, size))
    return 0
}
