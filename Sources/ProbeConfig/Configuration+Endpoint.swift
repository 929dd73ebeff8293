import ProbeProtocol

extension Configuration {
    /// A listening address of ``Metrics/listen``: `127.0.0.1:9469`, `[::1]:9469`, `localhost:9469`.
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        /// An IP address or a host name, without brackets (`::1`, `127.0.0.1`, `localhost`).
        public var host: String
        /// 1–65535.
        public var port: Int

        /// Creates an endpoint.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `host:port`, with an IPv6 host in brackets.
        public var description: String {
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }

        /// Splits `host:port`, or says why the text is not one.
        static func parse(_ text: String) -> Result<Endpoint, TextProblem> {
            let usage = "must be host:port, such as 127.0.0.1:9469 or [::1]:9469, or empty for off"
            let host: Substring
            let portText: Substring
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else {
                    return .failure(TextProblem(usage))
                }
                host = text[text.index(after: text.startIndex)..<close]
                portText = text[text.index(close, offsetBy: 2)...]
                guard IPv6Address(host) != nil else {
                    return .failure(TextProblem("\(host) is not an IPv6 address"))
                }
            } else {
                guard let colon = text.lastIndex(of: ":") else { return .failure(TextProblem(usage)) }
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
                if host.contains(":") {
                    return .failure(TextProblem("write an IPv6 address in brackets, such as [::1]:9469"))
                }
                guard isHostName(host) else {
                    return .failure(TextProblem("\(quoted(String(host))) is not an IP address or host name"))
                }
            }
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let port = Int(portText), (1...65_535).contains(port)
            else {
                return .failure(TextProblem("the port must be a number from 1 to 65535"))
            }
            return .success(Endpoint(host: String(host), port: port))
        }

        /// A dotted quad, or letters, digits, `-` and `.` as in a DNS name.
        private static func isHostName(_ host: Substring) -> Bool {
            guard !host.isEmpty, host.count <= 253 else { return false }
            if host.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) {
                return IPv4Address(host) != nil
            }
            return host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
                && !host.hasPrefix("-") && !host.hasPrefix(".") && !host.contains("..")
        }
    }
}
