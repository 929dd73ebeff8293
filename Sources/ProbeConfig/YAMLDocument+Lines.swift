/// Lines and columns as libyaml counts them, so that a ``Yams/Mark`` finds its place in the text.
///
/// libyaml ends a line at `\n`, `\r\n`, a lone `\r`, U+0085, U+2028 or U+2029, and counts columns
/// in Unicode scalars. Swift's `split(separator: "\n")` sees none of that: `\r\n` is one `Character`
/// that is not `"\n"`, so a file saved with CRLF line ends would be one long line.
extension YAMLDocument {
    /// Whether libyaml ends a line at `scalar` (`\r\n` counts once; see ``index(line:column:in:)``).
    static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": true
        default: false
        }
    }

    /// The index of the Unicode scalar at 1-based `line` and `column` (a column may be one past the
    /// line's last scalar); nil when the text has no such place.
    static func index(line: Int, column: Int, in text: String) -> String.Index? {
        let scalars = text.unicodeScalars
        guard line >= 1, column >= 1 else { return nil }
        var index = scalars.startIndex
        var current = 1
        while current < line {
            guard index < scalars.endIndex else { return nil }
            let scalar = scalars[index]
            scalars.formIndex(after: &index)
            guard isLineBreak(scalar) else { continue }
            if scalar == "\r", index < scalars.endIndex, scalars[index] == "\n" { scalars.formIndex(after: &index) }
            current += 1
        }
        for _ in 1..<column {
            guard index < scalars.endIndex, !isLineBreak(scalars[index]) else { return nil }
            scalars.formIndex(after: &index)
        }
        return index
    }

    /// The 1-based `number`-th line of `text`, without its line break.
    static func line(_ number: Int, of text: String) -> Substring? {
        guard let start = index(line: number, column: 1, in: text) else { return nil }
        let scalars = text.unicodeScalars
        var end = start
        while end < scalars.endIndex, !isLineBreak(scalars[end]) { scalars.formIndex(after: &end) }
        return Substring(scalars[start..<end])
    }

    /// The 1-based line of the `offset`-th `Character` of `text` (Yams gives a reader error's place so).
    static func lineNumber(ofCharacterOffset offset: Int, in text: String) -> Int {
        let end = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) ?? text.endIndex
        var line = 1
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index < end {
            let scalar = scalars[index]
            scalars.formIndex(after: &index)
            guard isLineBreak(scalar) else { continue }
            if scalar == "\r", index < end, scalars[index] == "\n" { scalars.formIndex(after: &index) }
            line += 1
        }
        return line
    }

    /// `text` with `insertion` placed before the scalar at 1-based `line` and `column`.
    static func insert(_ insertion: String, atLine line: Int, column: Int, of text: String) -> String? {
        guard let index = index(line: line, column: column, in: text) else { return nil }
        var result = text
        result.unicodeScalars.insert(contentsOf: insertion.unicodeScalars, at: index)
        return result
    }
}
