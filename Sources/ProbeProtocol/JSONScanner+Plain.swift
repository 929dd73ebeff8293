/// The pieces the fast paths (``RequestFastPath``, ``VerdictFastPath``) read straight from the
/// bytes: plain strings (no escapes), integers, booleans and literals. Each gives up (nil/false)
/// on anything else, for the full parser to take over.
extension JSONScanner {
    /// The next byte, if any.
    func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    /// Steps over `byte` if it comes next.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    /// A string without escapes or control characters, as the range of its content; UTF-8 checked.
    mutating func plainString() -> Range<Int>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return start..<(index - 1)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte >= 0x80 {
                guard (try? skipUTF8Sequence()) != nil else { return nil }
            } else {
                index += 1
            }
        }
        return nil
    }

    /// An integer literal that fits in `Int64` (no fraction, no exponent, no leading zero).
    mutating func plainInteger() -> Int64? {
        let negative = consume(UInt8(ascii: "-"))
        guard let first = peek(), isDigit(first) else { return nil }
        var magnitude: Int64 = 0
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let byte = peek(), isDigit(byte) {
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                magnitude = sum
                index += 1
            }
        }
        if let next = peek(), next == UInt8(ascii: ".") || next | 0x20 == UInt8(ascii: "e") || isDigit(next) {
            return nil
        }
        return negative ? -magnitude : magnitude
    }

    /// `true` or `false`.
    mutating func plainBoolean() -> Bool? {
        if matchesLiteral("true") { return true }
        if matchesLiteral("false") { return false }
        return nil
    }

    mutating func matchesLiteral(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        let start = index
        guard start + length <= bytes.count,
            literal.withUTF8Buffer({ $0.elementsEqual(bytes[start..<(start + length)]) })
        else { return false }
        index += length
        return true
    }

    /// Whether the bytes in `range` are `literal`.
    func matches(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        range.count == literal.utf8CodeUnitCount && literal.withUTF8Buffer { $0.elementsEqual(bytes[range]) }
    }

    // A flat object, member by member:
    //     guard scanner.beginObject() else { … }
    //     var more = true
    //     while more {
    //         guard let key = scanner.memberKey() else { … }   // the scanner is at the value
    //         … read the value …
    //         guard let next = scanner.afterMember() else { … }
    //         more = next
    //     }
    //     guard scanner.endDocument() else { … }

    /// Steps over `{` (and the whitespace around it).
    mutating func beginObject() -> Bool {
        skipWhitespace()
        guard consume(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        return true
    }

    /// A member's key (a plain string) and its `:`; the scanner is then at the value.
    mutating func memberKey() -> Range<Int>? {
        guard let key = plainString() else { return nil }
        skipWhitespace()
        guard consume(UInt8(ascii: ":")) else { return nil }
        skipWhitespace()
        return key
    }

    /// After a member's value: true at a `,` (another member follows), false at the closing `}`,
    /// nil for anything else.
    mutating func afterMember() -> Bool? {
        skipWhitespace()
        if consume(UInt8(ascii: ",")) {
            skipWhitespace()
            return true
        }
        return consume(UInt8(ascii: "}")) ? false : nil
    }

    /// Whether nothing but whitespace follows.
    mutating func endDocument() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }
}
