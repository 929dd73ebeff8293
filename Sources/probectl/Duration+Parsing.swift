extension Duration {
    /// Parses a duration as `mark --ttl` takes it: plain seconds (`90`), or one or more numbers
    /// each with a unit — `ms`, `s`, `m`, `h`, `d` — such as `90s`, `10m`, `1h`, `1h30m`, `500ms`.
    ///
    /// - Returns: `nil` for anything else (empty text, a missing or unknown unit, a number too large).
    init?(parsing text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes.allSatisfy(Self.isDigit) {
            guard let seconds = Int64(String(decoding: bytes, as: UTF8.self)), seconds <= Self.maxSeconds else {
                return nil
            }
            self = .seconds(seconds)
            return
        }
        var total: Duration = .zero
        var index = 0
        while index < bytes.count {
            let numberStart = index
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
            let unitStart = index
            while index < bytes.count, !Self.isDigit(bytes[index]) { index += 1 }
            guard numberStart < unitStart, unitStart < index,
                let number = Int64(String(decoding: bytes[numberStart..<unitStart], as: UTF8.self)),
                number <= Self.maxSeconds
            else { return nil }
            switch String(decoding: bytes[unitStart..<index], as: UTF8.self) {
            case "ms": total += .milliseconds(number)
            case "s": total += .seconds(number)
            case "m": total += .seconds(number * 60)
            case "h": total += .seconds(number * 3_600)
            case "d": total += .seconds(number * 86_400)
            default: return nil
            }
            guard total <= .seconds(Self.maxSeconds) else { return nil }
        }
        self = total
    }

    /// The duration in whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// The longest duration parsed: ten years, far beyond any TTL the protocol accepts, and far
    /// from overflowing.
    private static let maxSeconds: Int64 = 10 * 366 * 86_400

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
