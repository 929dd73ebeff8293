import ProbeProtocol
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    func parse(_ text: String) throws(JSONError) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func objectsKeepOrder() throws {
        let value = try parse(#" { "b" : 1 , "a" : [ true , false , null ] , "c" : { } , "d" : [ ] } "#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["b", "a", "c", "d"])
        #expect(value["b"] == .number(.integer(1)))
        #expect(value["a"] == [true, false, nil])
        #expect(value["c"] == .object(JSONObject()))
        #expect(value["d"] == .array([]))
        #expect(value["missing"] == nil)
        #expect(value["a"]?[1] == false)
    }

    @Test func scalarsAtTopLevel() throws {
        #expect(try parse("true") == true)
        #expect(try parse(" null ") == nil)
        #expect(try parse(#""x""#) == "x")
        #expect(try parse("-12") == -12)
    }

    @Test(arguments: [
        (#""a\"b""#, "a\"b"), (#""\\\/""#, "\\/"), (#""\b\f\n\r\t""#, "\u{8}\u{C}\n\r\t"),
        (#""\u0041\u00e9\u20AC""#, "Aé€"), (#""\u0000""#, "\u{0}"), (#""\ud83d\ude00""#, "😀"),
        (#""x\uD834\uDD1Ey""#, "x𝄞y"), (#""héllo €😀""#, "héllo €😀"), (#""""#, ""),
        (#""plain then \n escape then ünïcode""#, "plain then \n escape then ünïcode"),
    ])
    func strings(json: String, expected: String) throws {
        #expect(try parse(json) == .string(expected))
    }

    @Test func numbersKeepIntegersExact() throws {
        #expect(try parse("9007199254740991").int64Value == 9_007_199_254_740_991)
        #expect(try parse("-9007199254740991").int64Value == -9_007_199_254_740_991)
        #expect(try parse("9007199254740993").int64Value == 9_007_199_254_740_993)
        #expect(try parse("9223372036854775807").int64Value == .max)
        #expect(try parse("-9223372036854775808").int64Value == .min)
        #expect(try parse("0").int64Value == 0)
        #expect(try parse("-0").int64Value == 0)
        // Beyond Int64: a double, not an integer.
        let huge = try parse("9223372036854775808")
        #expect(huge.int64Value == nil)
        #expect(huge.doubleValue == 9_223_372_036_854_775_808)
        // Fractions and exponents are never integers, even when whole.
        for text in ["1.5", "1e3", "1.0", "1E3", "-2.5e-3", "0.0", "1e+2"] {
            let value = try parse(text)
            #expect(value.int64Value == nil, "\(text) is not an integer literal")
            #expect(value.doubleValue == Double(text))
            guard case .number(let number) = value else {
                Issue.record("\(text) should be a number")
                continue
            }
            #expect(!number.isInteger)
        }
        #expect(try parse("1e-400").doubleValue == 0)
    }

    @Test(arguments: [
        "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":1}}",
        "{\"a\":1} x", "[1] [2]", "tru", "True", "nul", "nulll", "01", "-", "-01", "1.", ".5", "1e", "1e+", "+1",
        "0x10", "1e400", "-1e400", "NaN", "Infinity", "\"abc", "\"a\\x\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\ud83dx\"", "\"tab\there\"", "\"new\nline\"",
        "{\"a\":1,\"a\":2}", "[1 2]", "\u{FEFF}{}", "{\"a\":1 \"b\":2}",
    ])
    func invalid(text: String) {
        #expect(throws: JSONError.self, "\(text.debugDescription) should be refused") { try parse(text) }
    }

    @Test(
        arguments: [
            [0x22, 0xFF, 0x22],  // 0xFF never appears in UTF-8
            [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
            [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8 encoded surrogate D800
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xC3, 0x22],  // truncated sequence
            [0x22, 0xE2, 0x82, 0x22],  // truncated sequence
            [0x22, 0x80, 0x22],  // lone continuation byte
            [0x22, 0x61, 0x5C, 0x6E, 0xC3, 0x28, 0x22],  // invalid after an escape
            [0x7B, 0xC3, 0xA9, 0x7D],  // non-ASCII outside a string
        ] as [[UInt8]]
    )
    func invalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONError.self) { try JSONParser.parse(bytes) }
    }

    @Test func validUTF8() throws {
        let bytes: [UInt8] = [0x22, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]
        #expect(try JSONParser.parse(bytes) == .string("é€😀\u{10FFFF}"))
    }

    @Test func nestingLimit() throws {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(try parse(ok).arrayValue?.count == 1)
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(throws: JSONError.self) { try parse(deep) }
        let deepObjects = String(repeating: #"{"a":"#, count: 33) + "1" + String(repeating: "}", count: 33)
        #expect(throws: JSONError.self) { try parse(deepObjects) }
        let veryDeep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONError.self) { try parse(veryDeep) }
        #expect(throws: JSONError.self) { try JSONParser.parse(Array("[[1]]".utf8), maxDepth: 1) }
    }

    @Test func errorsCarryOffsets() {
        do {
            _ = try parse(#"{"a":1} x"#)
            Issue.record("should throw")
        } catch {
            #expect(error.offset == 8)
            #expect(error.description.contains("at byte 8"))
        }
    }

    @Test func duplicateKeysInLargeObjects() throws {
        let members = (0..<40).map { #""k\#($0)":\#($0)"# }
        let fine = "{" + members.joined(separator: ",") + "}"
        #expect(try parse(fine).objectValue?.count == 40)
        let duplicated = "{" + (members + [#""k3":0"#]).joined(separator: ",") + "}"
        #expect(throws: JSONError.self) { try parse(duplicated) }
    }

    @Test func parsesFromSlicesAndRawBuffers() throws {
        let bytes = Array("xx[1,2]yy".utf8)
        #expect(try JSONParser.parse(bytes[2..<7]) == [1, 2])
        let value = try bytes[2..<7].withUnsafeBytes { buffer throws(JSONError) in try JSONParser.parse(buffer: buffer)
        }
        #expect(value == [1, 2])
        #expect(try JSONParser.parse("{\"a\":\"b\"}".utf8) == ["a": "b"])
    }
}
