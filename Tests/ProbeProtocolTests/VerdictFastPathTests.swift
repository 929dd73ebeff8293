import Testing

@testable import ProbeProtocol

/// The verdict fast path reads what the daemon writes exactly as the full decoder does, and
/// leaves everything else to it.
@Suite struct VerdictFastPathTests {
    static let addresses = ["198.51.100.7", "2001:db8::1", "fe80::1%eth0", "::ffff:203.0.113.9", "0.0.0.1"]

    static func verdicts() -> [Verdict] {
        var verdicts: [Verdict] = []
        for text in addresses {
            let addr = IPAddress(text)!
            verdicts.append(Verdict(addr: addr, state: .inUse, evidence: .echoReply, rttMicroseconds: 412))
            verdicts.append(Verdict(addr: addr, state: .inUse, evidence: .neighbor, mac: "02:00:00:00:00:14", cached: true, ageMilliseconds: 1234))
            verdicts.append(Verdict(addr: addr, state: .free, evidence: .timeout, cached: true, ageMilliseconds: 0))
            verdicts.append(Verdict(addr: addr, state: .free, evidence: .unreachable))
            verdicts.append(Verdict(addr: addr, state: .unknown, evidence: .sendFailed, reason: "network unreachable"))
            verdicts.append(Verdict(addr: addr, state: .unknown, evidence: .notSent, reason: "not sent in time"))
            verdicts.append(Verdict(addr: addr, state: .inUse, evidence: .marked, cached: true, ageMilliseconds: 99))
        }
        return verdicts
    }

    @Test func readsWhatTheDaemonWritesAsTheFullDecoderDoes() throws {
        for (position, verdict) in Self.verdicts().enumerated() {
            for id: Int64 in [1, Int64(position + 2), 9_007_199_254_740_991] {
                let line = Response.verdict(verdict, id: .value(.number(id))).encoded().dropLast()  // the "\n"
                let fast = try #require(Array(line).withUnsafeBufferPointer { Response.decodeVerdict($0) }, "\(String(decoding: line, as: UTF8.self))")
                #expect(fast.id == id)
                #expect(fast.verdict == verdict)
                #expect(try Response.decode(line, expecting: .check) == .verdict(fast.verdict, id: .value(.number(id))))
            }
        }
    }

    @Test(arguments: [
        #"{"id":"a","ok":true,"addr":"198.51.100.7","state":"free","evidence":"timeout","cached":false,"age_ms":0}"#,
        #"{"id":1,"ok":false,"error":{"code":"overloaded","message":"too many probes in flight"}}"#,
        #"{"id":1,"ok":true,"addr":"198.51.100.7","results":[]}"#,
        #"{"id":1,"ok":true,"addr":"198.51.100.7","state":"free","evidence":"timeout","cached":false}"#,
        #"{"id":1,"ok":true,"addr":"198.51.100.7","state":"free","evidence":"timeout","cached":false,"age_ms":0,"age_ms":1}"#,
        #"{"id":1,"ok":true,"addr":"198.51.100.7","state":"gone","evidence":"timeout","cached":false,"age_ms":0}"#,
        #"{"id":1,"ok":true,"addr":"198.51.100.7","state":"unknown","evidence":"not_sent","reason":"a \"quoted\" reason","cached":false,"age_ms":0}"#,
        #"{"id":1,"ok":true,"addr":"198.51.100.7","state":"free","evidence":"timeout","cached":false,"age_ms":0.5}"#,
        #"{"id":1,"ok":true,"addr":"198.51.100.7","state":"free","evidence":"timeout","cached":false,"age_ms":0,"extra":1}"#,
        #"{"id":1,"addr":"198.51.100.7","state":"free","evidence":"timeout","cached":false,"age_ms":0}"#,
        #"{"id":1,"ok":true,"addr":"198.51.100.7","state":"free","evidence":"timeout","cached":false,"age_ms":0} x"#,
    ])
    func leavesEverythingElseToTheFullDecoder(line: String) {
        #expect(Array(line.utf8).withUnsafeBufferPointer { Response.decodeVerdict($0) } == nil)
    }
}
