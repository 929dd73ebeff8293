/// An inclusive range of addresses of one family, such as `198.51.100.50-198.51.100.99`.
///
/// A range is a lazy `Sequence` of its addresses in ascending order. Its bounds carry no zone.
public struct IPRange: Hashable, Sendable {
    /// The lowest address.
    public let first: IPAddress
    /// The highest address.
    public let last: IPAddress

    /// Builds a range; zones are dropped.
    ///
    /// - Returns: `nil` when the families differ or `first` is above `last`.
    public init?(first: IPAddress, last: IPAddress) {
        guard first.family == last.family, first.bits <= last.bits else { return nil }
        self.first = first.withoutZone
        self.last = last.withoutZone
    }

    init(uncheckedFirst first: IPAddress, last: IPAddress) {
        self.first = first
        self.last = last
    }

    /// Parses `FIRST-LAST` (`198.51.100.50-198.51.100.99`, `2001:db8::10-2001:db8::ff`); both
    /// addresses in the same family, the first not above the last, no zones, no spaces.
    public init?(_ text: some StringProtocol) {
        guard let range = AddressParser.withUTF8(text, Self.parse) else { return nil }
        self = range
    }

    /// The address family.
    public var family: IPFamily { first.family }

    /// How many addresses the range holds, saturating at `UInt64.max`.
    public var count: UInt64 {
        let span = last.bits - first.bits
        return span >= UInt128(UInt64.max) ? .max : UInt64(span) + 1
    }

    /// Whether `address` lies inside the range; its zone is ignored. Always `false` across families.
    public func contains(_ address: IPAddress) -> Bool {
        guard address.family == family else { return false }
        let bits = address.bits
        return bits >= first.bits && bits <= last.bits
    }

    /// The address `offset` places after ``first`` (`0` is ``first``); `nil` past ``last``.
    ///
    /// With ``offset(of:)``, this lets a sweeper keep a cursor into a range without walking it.
    public func address(at offset: UInt64) -> IPAddress? {
        let (bits, overflow) = first.bits.addingReportingOverflow(UInt128(offset))
        guard !overflow, bits <= last.bits else { return nil }
        return IPAddress(bits: bits, family: family)
    }

    /// How many places after ``first`` `address` lies; `nil` when outside the range or beyond
    /// `UInt64.max` places.
    public func offset(of address: IPAddress) -> UInt64? {
        guard contains(address) else { return nil }
        return UInt64(exactly: address.bits - first.bits)
    }

    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> IPRange? {
        guard let dash = text.firstIndex(of: UInt8(ascii: "-")),
            let first = AddressParser.address(UnsafeBufferPointer(rebasing: text[..<dash])),
            let last = AddressParser.address(UnsafeBufferPointer(rebasing: text[(dash + 1)...])),
            first.zone == nil, last.zone == nil
        else { return nil }
        return IPRange(first: first, last: last)
    }
}

extension IPRange: Sequence {
    /// Walks the addresses of a range in ascending order.
    public struct Iterator: IteratorProtocol, Sendable {
        private var current: UInt128
        private let last: UInt128
        private let family: IPFamily
        private var done = false

        init(_ range: IPRange) {
            current = range.first.bits
            last = range.last.bits
            family = range.family
        }

        public mutating func next() -> IPAddress? {
            guard !done else { return nil }
            let address = IPAddress(bits: current, family: family)
            if current == last { done = true } else { current += 1 }
            return address
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    public var underestimatedCount: Int { Int(clamping: count) }
}

extension IPRange: CustomStringConvertible {
    /// `FIRST-LAST` in canonical address forms.
    public var description: String { "\(first)-\(last)" }
}
