extension IPv4Address: CustomStringConvertible {
    /// The dotted quad, e.g. `198.51.100.1`.
    public var description: String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(15)
        writeText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the dotted quad to `bytes`, without building a `String`.
    public func appendText(to bytes: inout [UInt8]) {
        writeText(to: &bytes)
    }

    func writeText(to bytes: inout some ByteSink) {
        for shift in stride(from: 24, through: 0, by: -8) {
            let part = UInt8(truncatingIfNeeded: value >> UInt32(shift))
            if part >= 100 { bytes.append(UInt8(ascii: "0") + part / 100) }
            if part >= 10 { bytes.append(UInt8(ascii: "0") + part / 10 % 10) }
            bytes.append(UInt8(ascii: "0") + part % 10)
            if shift != 0 { bytes.append(UInt8(ascii: ".")) }
        }
    }
}

extension IPv6Address: CustomStringConvertible {
    /// The RFC 5952 form: lowercase hexadecimal without leading zeros, the longest run of two or
    /// more zero groups (the first of equal runs) written `::`, and `%zone` appended.
    /// An IPv4-mapped address is written `::ffff:a.b.c.d` (RFC 5952 §5).
    public var description: String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(39)
        writeText(to: &bytes, escapingZone: false)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the RFC 5952 form (see ``description``) to `bytes`, without building a `String`.
    public func appendText(to bytes: inout [UInt8]) {
        writeText(to: &bytes, escapingZone: false)
    }

    /// The most bytes ``writeText(to:escapingZone:)`` writes.
    var maxTextCount: Int { 46 + 6 * (zone?.utf8.count ?? 0) }

    /// Writes the RFC 5952 form; with `escapingZone`, the zone is escaped for a JSON string (a
    /// parsed zone never needs it, but one built in code might).
    func writeText(to bytes: inout some ByteSink, escapingZone: Bool) {
        if let ipv4 = ipv4Mapped {
            bytes.appendLiteral("::ffff:")
            ipv4.writeText(to: &bytes)
            writeZone(to: &bytes, escaping: escapingZone)
            return
        }
        let (high, low) = (high, low)
        @inline(__always) func group(_ index: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (index < 4 ? high : low) >> UInt64(48 - 16 * (index & 3)))
        }
        // The longest run of at least two zero groups; the first one wins a tie.
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for index in 0..<8 {
            if group(index) == 0 {
                if runStart < 0 { runStart = index }
                let length = index - runStart + 1
                if length > bestLength {
                    bestStart = runStart
                    bestLength = length
                }
            } else {
                runStart = -1
            }
        }
        var index = 0
        while index < 8 {
            if index == bestStart {
                if index == 0 { bytes.appendLiteral("::") } else { bytes.append(UInt8(ascii: ":")) }
                index += bestLength
                continue
            }
            writeHex(group(index), to: &bytes)
            if index < 7 { bytes.append(UInt8(ascii: ":")) }
            index += 1
        }
        writeZone(to: &bytes, escaping: escapingZone)
    }

    private func writeZone(to bytes: inout some ByteSink, escaping: Bool) {
        guard var zone else { return }
        bytes.append(UInt8(ascii: "%"))
        if escaping {
            zone.withUTF8 { JSONWriter.writeEscaped(utf8: $0, to: &bytes) }
        } else {
            bytes.appendUTF8(zone)
        }
    }

    private func writeHex(_ group: UInt16, to bytes: inout some ByteSink) {
        var shift = group == 0 ? 0 : (15 - group.leadingZeroBitCount) / 4 * 4
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: group >> UInt16(shift) & 0xF)
            bytes.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
            shift -= 4
        }
    }
}

extension IPAddress: CustomStringConvertible {
    /// The canonical text: a dotted quad for IPv4, the RFC 5952 form for IPv6 (with `%zone`).
    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    /// Appends the canonical text to `bytes`, without building a `String`.
    public func appendText(to bytes: inout [UInt8]) {
        switch self {
        case .v4(let address): address.writeText(to: &bytes)
        case .v6(let address): address.writeText(to: &bytes, escapingZone: false)
        }
    }

    /// The most bytes ``writeJSONString(to:)`` writes.
    var maxJSONStringCount: Int {
        switch self {
        case .v4: 17
        case .v6(let address): address.maxTextCount + 2
        }
    }

    /// Writes the canonical text as a quoted JSON string.
    func writeJSONString(to bytes: inout some ByteSink) {
        bytes.append(UInt8(ascii: "\""))
        switch self {
        case .v4(let address): address.writeText(to: &bytes)
        case .v6(let address): address.writeText(to: &bytes, escapingZone: true)
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
