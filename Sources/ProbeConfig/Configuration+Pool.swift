public import ProbeProtocol

extension Configuration {
    /// A warm pool (docs/pools.md): addresses whose verdicts background sweeps keep fresh.
    ///
    /// Whichever way it is written, a pool sweeps one run of consecutive addresses, ``addresses``
    /// (``count`` of them, at most ``maxAddresses``): an IPv4 prefix shorter than /31 leaves out its
    /// network and broadcast addresses, so `198.51.100.0/24` sweeps `198.51.100.1`…`198.51.100.254`.
    public struct Pool: Sendable, Equatable, CustomStringConvertible {
        /// How the pool was written in the file.
        public enum Source: Sendable, Equatable {
            /// `range: "198.51.100.50-198.51.100.99"`: both ends included.
            case range(IPRange)
            /// `prefix: "2001:db8:100::/120"`.
            case prefix(IPPrefix)
        }

        /// The most addresses one pool may hold.
        public static let maxAddresses = 65_536

        /// How the pool was written.
        public let source: Source
        /// `pools[i].refresh_s`: every address is re-probed at least this often (seconds). Default 10.
        public var refreshSeconds: Int
        /// The addresses swept, in ascending order (a lazy sequence).
        public let addresses: IPRange
        /// How many addresses are swept, 1–65536.
        public let count: Int

        /// Creates a pool; `nil` when it would hold more than ``maxAddresses`` addresses or
        /// `refreshSeconds` is under one. (Policy, overlap and special addresses are checked by the decoder.)
        public init?(source: Source, refreshSeconds: Int = 10) {
            guard refreshSeconds >= 1, case .success(let pool) = Self.make(source, refreshSeconds: refreshSeconds)
            else { return nil }
            self = pool
        }

        private init(source: Source, refreshSeconds: Int, addresses: IPRange) {
            self.source = source
            self.refreshSeconds = refreshSeconds
            self.addresses = addresses
            self.count = Int(addresses.count)
        }

        /// The address family.
        public var family: IPFamily { addresses.family }
        /// The first address swept.
        public var first: IPAddress { addresses.first }
        /// The last address swept.
        public var last: IPAddress { addresses.last }
        /// ``refreshSeconds`` as a duration.
        public var refreshInterval: Duration { .seconds(refreshSeconds) }

        /// The text as in the file, in canonical form: `198.51.100.50-198.51.100.99` or `2001:db8:100::/120`.
        public var description: String { source.text }

        /// Whether the pool sweeps `address` (an IPv6 zone is ignored).
        public func contains(_ address: IPAddress) -> Bool {
            addresses.contains(address)
        }

        /// The `index`-th address swept, from 0 (``first``) to `count - 1` (``last``).
        public func address(at index: Int) -> IPAddress {
            precondition((0..<count).contains(index), "pool index \(index) out of 0..<\(count)")
            return AddressMath.address(AddressMath.bits(of: first) + UInt128(index), family: family)
        }

        /// The position of `address` among the addresses swept, or `nil` when the pool does not sweep it.
        public func index(of address: IPAddress) -> Int? {
            guard addresses.contains(address) else { return nil }
            return Int(AddressMath.bits(of: address) - AddressMath.bits(of: first))
        }

        /// ``addresses`` as numbers.
        var bounds: ClosedRange<UInt128> {
            AddressMath.bounds(of: addresses)
        }

        /// Builds a pool from its source, or says why it is not one.
        static func make(_ source: Source, refreshSeconds: Int) -> Result<Pool, TextProblem> {
            let addresses: IPRange
            let span: UInt128
            switch source {
            case .range(let range):
                addresses = range
                span = AddressMath.bits(of: range.last) - AddressMath.bits(of: range.first)
            case .prefix(let prefix):
                addresses = prefix.hostAddresses()
                span = AddressMath.bits(of: addresses.last) - AddressMath.bits(of: addresses.first)
            }
            guard span < UInt128(maxAddresses) else {
                return .failure(
                    TextProblem(
                        "\(source.text) holds \(countText(span)) addresses; a pool holds at most \(maxAddresses)",
                        code: .outOfRange
                    )
                )
            }
            return .success(Pool(source: source, refreshSeconds: refreshSeconds, addresses: addresses))
        }

        /// `span + 1` in words: the number itself, or `2^N` when it is a large power of two.
        private static func countText(_ span: UInt128) -> String {
            if span == UInt128.max { return "2^128" }
            let count = span + 1
            if count > 1 << 40, count & (count - 1) == 0 {
                return "2^\(count.trailingZeroBitCount)"
            }
            return String(count)
        }
    }
}

extension Configuration.Pool.Source {
    /// The canonical text.
    var text: String {
        switch self {
        case .range(let range): range.description
        case .prefix(let prefix): prefix.description
        }
    }
}
