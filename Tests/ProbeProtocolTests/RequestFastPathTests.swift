import ProbeProtocol
import Testing

/// The decoder reads common requests on a fast path and falls back to the full decoder for
/// anything else; both must agree on every input.
@Suite("Request decoding: fast and full paths agree")
struct RequestFastPathTests {
    /// The full decoder alone: parse the JSON tree, then read the request from it.
    func fullDecode(_ bytes: [UInt8]) -> Request.DecodeResult {
        do throws(JSONError) {
            return Request.decode(json: try JSONParser.parse(bytes))
        } catch {
            return .failure(id: .null, error: .badRequest("invalid JSON: \(error)"))
        }
    }

    static let corpus: [String] = [
        #"{"id":7,"op":"check","addr":"198.51.100.10"}"#,
        #"{"id":"a","op":"check","addr":"2001:db8::1","timeout_ms":300,"attempts":2,"max_age_ms":0}"#,
        #" { "op" : "check" , "addr" : "fe80::1%eth0" , "id" : -12 } "#,
        #"{"op":"pick","addrs":["198.51.100.1", "198.51.100.2" ,"::ffff:198.51.100.3"],"max_age_ms":100}"#,
        #"{"op":"mark","addr":"198.51.100.10","state":"in_use","ttl_ms":60000}"#,
        #"{"op":"mark","addr":"198.51.100.10","state":"free"}"#,
        #"{"op":"forget","addr":"198.51.100.10"}"#,
        #"{"op":"forget","prefix":"198.51.100.0/24","all":false}"#,
        #"{"op":"forget","all":true}"#,
        #"{"op":"stats","id":9007199254740991}"#,
        #"{"op":"info","addr":"not an address"}"#,
        #"{"op":"check","addr":"198.51.100.10","state":"bogus"}"#,
        #"{"op":"check","addr":"198.51.100.10","id":"é\u00e9"}"#,
        #"{"op":"check","addr":"198.51.100.10","timeout_ms":1e2}"#,
        #"{"op":"check","addr":"198.51.100.10","timeout_ms":01}"#,
        #"{"op":"check","addr":"198.51.100.10","timeout_ms":-0}"#,
        #"{"op":"check","addr":"198.51.100.10","attempts":10,"attempts":1}"#,
        #"{"op":"check","addr":"198.51.100.10","extra":[1,{"a":null}]}"#,
        #"{"op":"forget","addr":"198.51.100.10","prefix":"198.51.100.0/24"}"#,
        #"{"op":"pick","addrs":[]}"#,
        #"{"op":"check","addr":"198.51.100.10"}x"#,
        #"{"op":"check","addr":"198.51.100.10",}"#,
        #"{"op":"check","addr":"198.51.100.10","id":9007199254740992}"#,
        #"{"op":"check","addr":"198.51.100.10","id":99999999999999999999}"#,
        #"{"op":"check","addr":"198.51.100.10","timeout_ms":99999999999999999999}"#,
        #"{"op":"stats","all":tru}"#,
        #"{"op":"stats","all":true}"#,
        #"{"op":"check","addr":"\u0031\u0039\u0038.51.100.10"}"#,
    ]

    @Test(arguments: corpus)
    func agreeOnCorpus(line: String) {
        let bytes = Array(line.utf8)
        #expect(Request.decode(bytes) == fullDecode(bytes), "\(line)")
    }

    @Test func agreeOnMutations() {
        var random = SplitMix64(seed: 0x5EED)
        let alphabet = Array(#"{}[]:,"\ 0123456789.-eE+tfnaludrs%:/x"#.utf8) + [0xC3, 0xA9, 0xFF, 0x0A]
        var disagreements = 0
        for _ in 0..<20_000 {
            var bytes = Array(Self.corpus[Int(random.next() % UInt64(Self.corpus.count))].utf8)
            for _ in 0..<(1 + random.next() % 3) {
                let position = Int(random.next() % UInt64(bytes.count + 1))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0: bytes.insert(byte, at: position)
                case 1: if position < bytes.count { bytes.remove(at: position) }
                default: if position < bytes.count { bytes[position] = byte }
                }
            }
            let fast = Request.decode(bytes)
            let full = fullDecode(bytes)
            if fast != full {
                disagreements += 1
                Issue.record("disagree on \(String(decoding: bytes, as: UTF8.self)): \(fast) vs \(full)")
                if disagreements > 5 { return }
            }
        }
    }
}

/// A small deterministic random generator, so that failures reproduce.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
