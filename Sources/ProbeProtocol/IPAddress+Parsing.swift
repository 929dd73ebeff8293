extension IPAddress {
    /// Parses an IPv4 or IPv6 address in any standard text form.
    ///
    /// IPv4 must be a strict dotted quad (`198.51.100.1`: four parts, each 0–255, no leading zeros).
    /// IPv6 takes every RFC 4291 form (`2001:db8::1`, `::`, `::ffff:198.51.100.1`, upper or lower
    /// case, leading zeros in groups) and an optional zone on link-local addresses (`fe80::1%eth0`;
    /// a zone on any other address is refused). An IPv4-mapped IPv6 address becomes ``IPAddress/v4(_:)``.
    ///
    /// - Returns: `nil` when `text` is not a valid address.
    public init?(_ text: some StringProtocol) {
        guard let address = AddressParser.withUTF8(text, AddressParser.address) else { return nil }
        self = address
    }

    /// Parses an address from UTF-8 bytes, as ``init(_:)`` does from a string.
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let address = AddressParser.address(bytes) else { return nil }
        self = address
    }
}

extension IPv4Address {
    /// Parses a strict dotted quad: four decimal parts from 0 to 255, without leading zeros.
    ///
    /// `010.1.1.1`, `256.1.1.1`, `1.2.3` and `1.2.3.4 ` are all refused.
    public init?(_ text: some StringProtocol) {
        guard let value = AddressParser.withUTF8(text, AddressParser.ipv4) else { return nil }
        self.init(value)
    }
}

extension IPv6Address {
    /// Parses an IPv6 address in any RFC 4291 text form, with an optional zone (`fe80::1%eth0`).
    ///
    /// A zone is accepted only on a link-local address (`fe80::/10`) and must look like an
    /// interface name: 1 to 15 printable ASCII characters other than `/`, `%`, `:`, `"` and `\`.
    /// IPv4-mapped addresses stay IPv6 here; ``IPAddress/init(_:)`` turns them into IPv4.
    public init?(_ text: some StringProtocol) {
        guard let address = AddressParser.withUTF8(text, AddressParser.ipv6Address) else { return nil }
        self = address
    }
}
