import ArgumentParser
import ProbeProtocol

/// Converters from command-line text to protocol values, for `@Argument(transform:)`.
enum ArgumentParsing {
    /// Why a value on the command line cannot be used; ArgumentParser prints its description.
    struct InvalidValue: Error, CustomStringConvertible {
        let description: String
    }

    /// An IPv4 or IPv6 address (`198.51.100.10`, `2001:db8::1`, `fe80::1%eth0`).
    static func address(_ text: String) throws -> IPAddress {
        guard let address = IPAddress(text) else {
            throw InvalidValue(description: "not an IPv4 or IPv6 address")
        }
        return address
    }

    /// A CIDR prefix (`198.51.100.0/24`) or an address (a host prefix).
    static func prefix(_ text: String) throws -> IPPrefix {
        guard let prefix = IPPrefix(text) else {
            throw InvalidValue(description: "not a CIDR prefix such as 198.51.100.0/24 or 2001:db8::/120")
        }
        return prefix
    }
}
