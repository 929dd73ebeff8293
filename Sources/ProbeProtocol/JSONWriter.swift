/// Appends compact JSON text to a byte array, without building intermediate strings.
///
/// Strings are escaped as RFC 8259 requires: `"` and `\` with a backslash, the usual control
/// characters as `\b \f \n \r \t`, every other control character as `\u00XX`. Non-ASCII text is
/// written as UTF-8. Non-finite doubles, which JSON cannot express, are written as `null`.
public enum JSONWriter {
    /// Appends `value` as compact JSON (no whitespace).
    public static func append(_ value: JSONValue, to bytes: inout [UInt8]) {
        write(value, to: &bytes)
    }

    /// Appends the members of `object` as `"key":value` pairs separated by commas, without braces.
    ///
    /// - Parameter skipping: keys to leave out.
    /// - Returns: the number of members written.
    @discardableResult
    public static func appendMembers(of object: JSONObject, skipping: Set<String> = [], to bytes: inout [UInt8])
        -> Int
    {
        writeMembers(of: object, leadingComma: false, skipping: skipping, to: &bytes)
    }

    static func write(_ value: JSONValue, to bytes: inout some ByteSink) {
        switch value {
        case .null:
            bytes.appendLiteral("null")
        case .bool(let flag):
            if flag { bytes.appendLiteral("true") } else { bytes.appendLiteral("false") }
        case .number(.integer(let integer)):
            writeInteger(integer, to: &bytes)
        case .number(.double(let double)):
            if double.isFinite { bytes.appendUTF8(double.description) } else { bytes.appendLiteral("null") }
        case .string(let string):
            writeString(string, to: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element, to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            writeMembers(of: object, leadingComma: false, skipping: [], to: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Writes `"key":value` pairs separated by commas (and preceded by one, with `leadingComma`).
    @discardableResult
    static func writeMembers(
        of object: JSONObject,
        leadingComma: Bool,
        skipping: Set<String>,
        to bytes: inout some ByteSink
    ) -> Int {
        var written = 0
        for member in object.members where !skipping.contains(member.key) {
            if written > 0 || leadingComma { bytes.append(UInt8(ascii: ",")) }
            writeString(member.key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            write(member.value, to: &bytes)
            written += 1
        }
        return written
    }

    /// Appends `string` as a quoted, escaped JSON string.
    public static func appendString(_ string: String, to bytes: inout [UInt8]) {
        writeString(string, to: &bytes)
    }

    /// Appends UTF-8 text as a quoted, escaped JSON string. The text is assumed to be valid UTF-8.
    public static func appendString(utf8 text: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        writeEscaped(utf8: text, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends an integer in decimal.
    public static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        writeInteger(value, to: &bytes)
    }

    /// The most bytes ``writeString(_:to:)`` writes for `string`.
    static func maxStringCount(_ string: String) -> Int { 6 * string.utf8.count + 2 }

    /// The most bytes ``writeInteger(_:to:)`` writes.
    static let maxIntegerCount = 20

    /// Writes `string` as a quoted, escaped JSON string.
    static func writeString(_ string: String, to bytes: inout some ByteSink) {
        var string = string
        bytes.append(UInt8(ascii: "\""))
        string.withUTF8 { writeEscaped(utf8: $0, to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes UTF-8 text escaped for the inside of a JSON string (no quotes): at most six bytes per byte.
    static func writeEscaped(utf8 text: UnsafeBufferPointer<UInt8>, to bytes: inout some ByteSink) {
        var runStart = 0
        for index in 0..<text.count {
            let byte = text[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < index { bytes.appendBytes(UnsafeBufferPointer(rebasing: text[runStart..<index])) }
            runStart = index + 1
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            default:
                bytes.appendLiteral("u00")
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0xF))
            }
        }
        if runStart < text.count { bytes.appendBytes(UnsafeBufferPointer(rebasing: text[runStart...])) }
    }

    /// Writes an integer in decimal.
    static func writeInteger(_ value: Int64, to bytes: inout some ByteSink) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            while magnitude > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            bytes.appendBytes(UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// Appends an integer in decimal.
    public static func appendInteger(_ value: Int, to bytes: inout [UInt8]) {
        appendInteger(Int64(value), to: &bytes)
    }

    /// Appends a double in its shortest round-trip form (`1.5`, `1e+20`); `null` when not finite.
    public static func appendDouble(_ value: Double, to bytes: inout [UInt8]) {
        write(.number(.double(value)), to: &bytes)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

extension JSONValue {
    /// Appends the compact JSON text of the value to `bytes`.
    public func encode(into bytes: inout [UInt8]) {
        JSONWriter.append(self, to: &bytes)
    }
}
