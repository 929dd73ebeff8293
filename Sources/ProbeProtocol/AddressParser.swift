/// The byte-level parsers behind the textual initialisers of the address types.
///
/// Every function works on UTF-8 bytes so that the request decoder can parse an address straight
/// out of a JSON string without building intermediate strings.
enum AddressParser {
    /// The longest textual IPv6 address with a zone that is worth looking at.
    static let maxIPv6TextLength = 45 + 1 + 15

    /// Parses a strict dotted quad: four decimal parts from 0 to 255, no leading zeros, nothing else.
    static func ipv4(_ text: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard text.count >= 7, text.count <= 15 else { return nil }
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var dots = 0
        var leadingZero = false
        for byte in text {
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                if digits == 0 {
                    leadingZero = byte == UInt8(ascii: "0")
                } else if leadingZero {
                    return nil
                }
                digits += 1
                if digits > 3 { return nil }
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
            } else if byte == UInt8(ascii: ".") {
                guard digits > 0, part <= 255, dots < 3 else { return nil }
                value = value << 8 | part
                part = 0
                digits = 0
                dots += 1
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0, part <= 255 else { return nil }
        return value << 8 | part
    }

    /// Parses the address part of an IPv6 text (no zone): every RFC 4291 §2.2 form.
    static func ipv6(_ text: UnsafeBufferPointer<UInt8>) -> UInt128? {
        let count = text.count
        guard count >= 2, count <= 45 else { return nil }
        var head: UInt128 = 0
        var headGroups = 0
        var tail: UInt128 = 0
        var tailGroups = 0
        var compressed = false
        var index = 0
        if text[0] == UInt8(ascii: ":") {
            guard text[1] == UInt8(ascii: ":") else { return nil }
            compressed = true
            index = 2
            if index == count { return 0 }
        }
        while true {
            let groupStart = index
            var group: UInt128 = 0
            var digits = 0
            while index < count, let nibble = hexValue(text[index]) {
                if digits == 4 { return nil }
                group = group << 4 | UInt128(nibble)
                digits += 1
                index += 1
            }
            if index < count, text[index] == UInt8(ascii: ".") {
                // An embedded dotted quad takes the place of the last two groups and ends the text.
                guard headGroups + tailGroups <= 6,
                    let ipv4 = ipv4(UnsafeBufferPointer(rebasing: text[groupStart..<count]))
                else { return nil }
                if compressed {
                    tail = tail << 32 | UInt128(ipv4)
                    tailGroups += 2
                } else {
                    head = head << 32 | UInt128(ipv4)
                    headGroups += 2
                }
                break
            }
            guard digits > 0 else { return nil }
            if compressed {
                tail = tail << 16 | group
                tailGroups += 1
            } else {
                head = head << 16 | group
                headGroups += 1
            }
            if headGroups + tailGroups > 8 { return nil }
            if index == count { break }
            guard text[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if index == count { return nil }
            if text[index] == UInt8(ascii: ":") {
                guard !compressed else { return nil }
                compressed = true
                index += 1
                if index == count { break }
            }
        }
        let groups = headGroups + tailGroups
        if compressed {
            guard groups <= 7 else { return nil }
        } else {
            guard groups == 8 else { return nil }
        }
        let shiftedHead = headGroups == 0 ? 0 : head << UInt128(16 * (8 - headGroups))
        return shiftedHead | tail
    }

    /// Parses an IPv6 address with an optional `%zone`, which only a link-local address may carry.
    static func ipv6Address(_ text: UnsafeBufferPointer<UInt8>) -> IPv6Address? {
        guard text.count <= maxIPv6TextLength else { return nil }
        var addressPart = text
        var zone: String?
        if let percent = text.firstIndex(of: UInt8(ascii: "%")) {
            let zoneBytes = UnsafeBufferPointer(rebasing: text[(percent + 1)...])
            guard isValidZone(zoneBytes) else { return nil }
            zone = String(decoding: zoneBytes, as: UTF8.self)
            addressPart = UnsafeBufferPointer(rebasing: text[..<percent])
        }
        guard let bits = ipv6(addressPart) else { return nil }
        let address = IPv6Address(bits: bits, zone: zone)
        if zone != nil, !address.isLinkLocal { return nil }
        return address
    }

    /// Parses an IPv4 or IPv6 address; an IPv4-mapped IPv6 address comes back as IPv4.
    static func address(_ text: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if text.contains(UInt8(ascii: ":")) {
            guard let address = ipv6Address(text) else { return nil }
            return IPAddress.v6(address).unmapped
        }
        return ipv4(text).map { .v4(IPv4Address($0)) }
    }

    /// Parses a decimal prefix length from 0 to `maximum`, without sign or leading zeros.
    static func prefixLength(_ text: UnsafeBufferPointer<UInt8>, maximum: Int) -> Int? {
        guard !text.isEmpty, text.count <= 3 else { return nil }
        if text.count > 1, text[0] == UInt8(ascii: "0") { return nil }
        var value = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value <= maximum ? value : nil
    }

    /// A zone must look like a Linux interface name (or index): 1 to 15 printable ASCII characters,
    /// none of them `/`, `%`, `:`, `"` or `\`, and not `.` or `..`. (So a zone never needs JSON escaping.)
    static func isValidZone(_ zone: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !zone.isEmpty, zone.count <= 15 else { return false }
        for byte in zone {
            guard byte > 0x20, byte < 0x7F else { return false }
            switch byte {
            case UInt8(ascii: "/"), UInt8(ascii: "%"), UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "\\"):
                return false
            default:
                continue
            }
        }
        if zone.allSatisfy({ $0 == UInt8(ascii: ".") }), zone.count <= 2 { return false }
        return true
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Runs `body` over the UTF-8 bytes of `text`, copying them only when the string is not contiguous.
    static func withUTF8<T>(_ text: some StringProtocol, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }
}
