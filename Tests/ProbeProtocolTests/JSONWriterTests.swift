import ProbeProtocol
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
    func written(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        value.encode(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func escapes() {
        #expect(written("a\"b\\c/d") == #""a\"b\\c/d""#)
        #expect(written("\n\r\t\u{8}\u{C}") == #""\n\r\t\b\f""#)
        #expect(written("\u{0}\u{1}\u{1F}\u{7F}") == "\"\\u0000\\u0001\\u001f\u{7F}\"")
        #expect(written("héllo €😀") == "\"héllo €😀\"")
        #expect(written("") == #""""#)
    }

    @Test func values() {
        let value: JSONValue = [
            "int": 42, "neg": -7, "min": .integer(Int64.min), "double": 1.5, "big": 1e20, "bool": true, "null": nil,
            "array": [1, "two", [3]], "object": ["nested": false], "inf": .double(.infinity),
        ]
        #expect(
            written(value)
                == #"{"int":42,"neg":-7,"min":-9223372036854775808,"double":1.5,"big":1e+20,"bool":true,"null":null,"array":[1,"two",[3]],"object":{"nested":false},"inf":null}"#
        )
    }

    @Test func integers() {
        for number: Int64 in [0, 1, 9, 10, 99, 100, 12345, -1, -10, 9_007_199_254_740_991, .max, .min] {
            var bytes: [UInt8] = []
            JSONWriter.appendInteger(number, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(number))
        }
    }

    @Test func roundTrip() throws {
        let value: JSONValue = [
            "s": "quote \" backslash \\ control \u{1} nul \u{0} 😀", "n": [0, -1, 2.25, 9_007_199_254_740_991],
            "o": ["deep": [["x": nil]]],
        ]
        var bytes: [UInt8] = []
        value.encode(into: &bytes)
        #expect(try JSONParser.parse(bytes) == value)
    }

    @Test func objectSubscriptSetter() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = 3
        object["c"] = 4
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["a"] == 3)
        #expect(JSONValue.object(object).description == #"{"a":3,"c":4}"#)
    }
}
