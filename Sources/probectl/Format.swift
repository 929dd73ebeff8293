/// Text forms of numbers for human output: round-trip times, ages, durations and counts.
enum Format {
    /// A round-trip time in milliseconds with three significant digits: `0.412 ms`, `12.3 ms`, `250 ms`.
    static func roundTrip(microseconds: Int) -> String {
        let value = max(0, microseconds)
        switch value {
        case ..<1_000: return "0.\(padded(value, to: 3)) ms"
        case ..<10_000: return "\(value / 1_000).\(padded(value % 1_000 / 10, to: 2)) ms"
        case ..<100_000: return "\(value / 1_000).\(value % 1_000 / 100) ms"
        default: return "\(value / 1_000) ms"
        }
    }

    /// An age: `350 ms`, `4.2 s`, `3m12s`, `2h05m`.
    static func age(milliseconds: Int) -> String {
        let value = max(0, milliseconds)
        switch value {
        case ..<1_000: return "\(value) ms"
        case ..<60_000: return "\(value / 1_000).\(value % 1_000 / 100) s"
        case ..<3_600_000: return "\(value / 60_000)m\(padded(value / 1_000 % 60, to: 2))s"
        default: return "\(value / 3_600_000)h\(padded(value / 60_000 % 60, to: 2))m"
        }
    }

    /// A duration in the form `--ttl` takes, as short as it is exact: `90s`, `10m`, `1h30m`, `1500ms`.
    static func duration(milliseconds: Int) -> String {
        guard milliseconds % 1_000 == 0 else { return "\(milliseconds)ms" }
        var seconds = milliseconds / 1_000
        guard seconds > 0 else { return "0s" }
        var text = ""
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] where seconds >= size {
            text += "\(seconds / size)\(unit)"
            seconds %= size
        }
        if seconds > 0 { text += "\(seconds)s" }
        return text
    }

    /// A count with thousands separators: `65,534`.
    static func count(_ value: some BinaryInteger) -> String {
        let digits = Array(String(value.magnitude))
        var text = value < 0 ? "-" : ""
        for (position, digit) in digits.enumerated() {
            if position > 0, (digits.count - position) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return text
    }

    /// `1 address`, `2 addresses`.
    static func plural(_ value: Int, _ singular: String, _ plural: String) -> String {
        "\(count(value)) \(value == 1 ? singular : plural)"
    }

    private static func padded(_ value: Int, to width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
