extension Request {
    /// Appends the request as one compact JSON object, without a line terminator:
    /// `{"id":7,"op":"check","addr":"198.51.100.10","timeout_ms":300}`. Fields that are `nil` are left out.
    public func encode(into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        if let id {
            bytes.appendLiteral(#""id":"#)
            id.encode(into: &bytes)
            bytes.append(UInt8(ascii: ","))
        }
        bytes.appendLiteral(#""op":""#)
        bytes.appendUTF8(operation.kind.rawValue)
        bytes.append(UInt8(ascii: "\""))
        switch operation {
        case .check(let check):
            Self.appendAddress("addr", check.addr, to: &bytes)
            Self.appendInteger("timeout_ms", check.timeoutMilliseconds, to: &bytes)
            Self.appendInteger("attempts", check.attempts, to: &bytes)
            Self.appendInteger("max_age_ms", check.maxAgeMilliseconds, to: &bytes)
        case .pick(let pick):
            bytes.appendLiteral(#","addrs":["#)
            for (position, address) in pick.addrs.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(UInt8(ascii: "\""))
                address.appendText(to: &bytes)
                bytes.append(UInt8(ascii: "\""))
            }
            bytes.append(UInt8(ascii: "]"))
            Self.appendInteger("timeout_ms", pick.timeoutMilliseconds, to: &bytes)
            Self.appendInteger("attempts", pick.attempts, to: &bytes)
            Self.appendInteger("max_age_ms", pick.maxAgeMilliseconds, to: &bytes)
        case .mark(let mark):
            Self.appendAddress("addr", mark.addr, to: &bytes)
            bytes.appendLiteral(#","state":""#)
            bytes.appendUTF8(mark.state.rawValue)
            bytes.append(UInt8(ascii: "\""))
            Self.appendInteger("ttl_ms", mark.ttlMilliseconds, to: &bytes)
        case .forget(.address(let address)):
            Self.appendAddress("addr", address, to: &bytes)
        case .forget(.prefix(let prefix)):
            bytes.appendLiteral(#","prefix":"#)
            JSONWriter.appendString(prefix.description, to: &bytes)
        case .forget(.all):
            bytes.appendLiteral(#","all":true"#)
        case .stats, .info:
            break
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// The request as one compact JSON object, without a line terminator.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96)
        encode(into: &bytes)
        return bytes
    }

    private static func appendAddress(_ key: StaticString, _ address: IPAddress, to bytes: inout [UInt8]) {
        bytes.appendLiteral(#",""#)
        bytes.appendLiteral(key)
        bytes.appendLiteral(#"":""#)
        address.appendText(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    private static func appendInteger(_ key: StaticString, _ value: Int?, to bytes: inout [UInt8]) {
        guard let value else { return }
        bytes.appendLiteral(#",""#)
        bytes.appendLiteral(key)
        bytes.appendLiteral(#"":"#)
        JSONWriter.appendInteger(value, to: &bytes)
    }
}
