import ProbeProtocol

/// The human form of `stats` and `info`: one `key  value` line per flattened member, aligned.
enum KeyValueListing {
    /// The lines for `value` (see ``ProbeProtocol/JSONValue/flattened(key:)``).
    static func lines(_ value: JSONValue) -> [String] {
        var table = TextTable()
        for (key, text) in value.flattened() { table.append([key, text]) }
        return table.lines()
    }

    /// Prints the lines on standard output.
    static func print(_ value: JSONValue) {
        for line in lines(value) { Console.line(line) }
    }
}
