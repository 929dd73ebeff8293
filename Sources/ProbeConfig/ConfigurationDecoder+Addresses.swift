import ProbeProtocol

extension ConfigurationDecoder {
    /// CIDR text, strictly: unlike ``IPPrefix/init(_:)``, a bare address (no `/length`) and a prefix with
    /// host bits set are refused, with a message that says why (and suggests the network address).
    static func parsePrefix(_ text: String) -> Result<IPPrefix, TextProblem> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return .failure(
                TextProblem("must be a prefix in CIDR form, such as 10.0.0.0/8 or fc00::/7 (got \(quoted(text)))")
            )
        }
        let addressText = parts[0]
        let lengthText = parts[1]
        if addressText.contains("%") {
            return .failure(TextProblem("\(text): a prefix takes no zone (%…)"))
        }
        guard let address = IPAddress(addressText) else {
            return .failure(TextProblem("\(quoted(String(addressText))) is not an IPv4 or IPv6 address"))
        }
        let width = addressText.contains(":") ? 128 : 32
        guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let length = Int(lengthText), length <= width
        else {
            return .failure(TextProblem("\(text): the prefix length must be a number from 0 to \(width)"))
        }
        if address.family == .ipv4, width == 128, length < 96 {
            return .failure(TextProblem("\(text): an IPv4-mapped prefix must be /96 or longer"))
        }
        guard let prefix = IPPrefix(text) else {
            return .failure(TextProblem("\(quoted(text)) is not a CIDR prefix"))
        }
        guard prefix.address == address else {
            return .failure(TextProblem("\(text) has host bits set (did you mean \(prefix)?)"))
        }
        return .success(prefix)
    }

    /// `first-last`: two addresses of one family, the first not above the last, no zones. Spaces around
    /// the dash are allowed.
    static func parseRange(_ text: String) -> Result<IPRange, TextProblem> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return .failure(
                TextProblem(
                    "must be a range \"first-last\", such as \"198.51.100.50-198.51.100.99\" (got \(quoted(text)))"
                )
            )
        }
        var ends: [IPAddress] = []
        for part in parts {
            let word = String(part.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
            if word.contains("%") { return .failure(TextProblem("a pool takes no zone (\(word))")) }
            guard let address = IPAddress(word) else {
                return .failure(TextProblem("\(quoted(word)) is not an IPv4 or IPv6 address"))
            }
            ends.append(address)
        }
        guard ends[0].family == ends[1].family else {
            return .failure(TextProblem("the two ends must be of one family (\(ends[0]) and \(ends[1]) are not)"))
        }
        guard let range = IPRange(first: ends[0], last: ends[1]) else {
            return .failure(
                TextProblem("\(ends[0])-\(ends[1]) runs backwards (the first address must not be above the last)")
            )
        }
        return .success(range)
    }
}
