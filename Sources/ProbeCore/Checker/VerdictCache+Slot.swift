import ProbeProtocol

extension VerdictCache {
    /// One slot of the storage: an address and its entry in 56 bytes (a zone, a reason or a MAC
    /// that is not six bytes lives in ``VerdictCache/extras`` instead), linked into the recency
    /// list. A vacant slot is linked into the free list through ``next``.
    struct Slot {
        /// The address: an IPv6 address's halves, or an IPv4 address in ``low``.
        var high: UInt64 = 0
        var low: UInt64 = 0
        var recordedAt: UInt64 = 0
        var expiresAt: UInt64 = 0
        /// Six bytes of MAC, with ``Slot/macPresent`` set when there is one.
        var mac: UInt64 = 0
        /// Microseconds; ``Slot/noRTT`` when there is none.
        var rtt: UInt32 = Slot.noRTT
        var previous: Int32 = VerdictCache.none
        var next: Int32 = VerdictCache.none
        var flags: UInt8 = 0
        var state: UInt8 = 0
        var evidence: UInt8 = 0

        static let noRTT = UInt32.max
        static let macPresent: UInt64 = 1 << 63

        static let occupied: UInt8 = 1 << 0
        static let ipv6: UInt8 = 1 << 1
        static let mark: UInt8 = 1 << 2
        /// The zone, the reason or an unusual MAC is in ``VerdictCache/extras``.
        static let hasExtras: UInt8 = 1 << 3
        static let hasZone: UInt8 = 1 << 4

        var isOccupied: Bool { flags & Self.occupied != 0 }
        var isMark: Bool { flags & Self.mark != 0 }
        var hasExtras: Bool { flags & Self.hasExtras != 0 }
        var hasZone: Bool { flags & Self.hasZone != 0 }
    }

    /// What does not fit a ``Slot``: rare (zoned link-local addresses, verdicts with a reason).
    struct Extras {
        var zone: String?
        var mac: String?
        var reason: String?
    }

    /// An address reduced to what a slot holds.
    struct Key: Equatable {
        var high: UInt64
        var low: UInt64
        var ipv6: Bool
        var zone: String?

        init(high: UInt64, low: UInt64, ipv6: Bool, zone: String? = nil) {
            (self.high, self.low, self.ipv6, self.zone) = (high, low, ipv6, zone)
        }

        init(_ address: IPAddress) {
            switch address {
            case .v4(let v4):
                (high, low, ipv6, zone) = (0, UInt64(v4.value), false, nil)
            case .v6(let v6):
                (high, low, ipv6, zone) = (v6.high, v6.low, true, v6.zone)
            }
        }

        /// The bucket hash: both halves and the family mixed with the cache's seed (the zone,
        /// rare, only in the comparison).
        @inline(__always)
        func hash(seed: UInt64) -> UInt64 {
            var value = (high ^ seed) &* 0x9E37_79B9_7F4A_7C15
            value ^= low &+ (ipv6 ? 0x5851_F42D_4C95_7F2D : 0)
            value = (value ^ (value >> 29)) &* 0xBF58_476D_1CE4_E5B9
            value ^= seed >> 7
            value = (value ^ (value >> 32)) &* 0x94D0_49BB_1331_11EB
            return value ^ (value >> 31)
        }
    }
}

extension VerdictCache.Slot {
    /// The address it holds (its zone from `extras`).
    func address(zone: String?) -> IPAddress {
        if flags & Self.ipv6 != 0 { return .v6(IPv6Address(high: high, low: low, zone: zone)) }
        return .v4(IPv4Address(UInt32(truncatingIfNeeded: low)))
    }

    /// Whether it holds `key` (the zone compared by the caller when ``hasZone`` or the key has one).
    @inline(__always)
    func holds(_ key: VerdictCache.Key) -> Bool {
        low == key.low && high == key.high && (flags & Self.ipv6 != 0) == key.ipv6
    }

    /// Stores `entry` (what does not fit goes to the returned extras).
    mutating func store(_ entry: VerdictCache.Entry) -> (mac: String?, reason: String?) {
        recordedAt = entry.recordedAt
        expiresAt = entry.expiresAt
        rtt = entry.rttMicroseconds.map { UInt32(clamping: max(0, $0)) } ?? Self.noRTT
        state = Self.code(entry.state)
        evidence = Self.code(entry.evidence)
        flags = entry.isMark ? flags | Self.mark : flags & ~Self.mark
        var overflowMAC: String?
        if let text = entry.mac {
            if let packed = Self.pack(mac: text) {
                mac = packed | Self.macPresent
            } else {
                mac = 0
                overflowMAC = text
            }
        } else {
            mac = 0
        }
        return (overflowMAC, entry.reason)
    }

    /// The entry it holds.
    func entry(extras: VerdictCache.Extras?) -> VerdictCache.Entry {
        VerdictCache.Entry(
            state: Self.state(state),
            evidence: Self.evidence(evidence),
            rttMicroseconds: rtt == Self.noRTT ? nil : Int(rtt),
            mac: mac & Self.macPresent != 0 ? Self.format(mac: mac) : extras?.mac,
            reason: extras?.reason,
            recordedAt: recordedAt,
            expiresAt: expiresAt,
            isMark: isMark
        )
    }

    static func code(_ state: VerdictState) -> UInt8 {
        switch state {
        case .inUse: 0
        case .free: 1
        case .unknown: 2
        }
    }

    static func state(_ code: UInt8) -> VerdictState {
        switch code {
        case 0: .inUse
        case 1: .free
        default: .unknown
        }
    }

    static func code(_ evidence: Evidence) -> UInt8 {
        switch evidence {
        case .echoReply: 0
        case .neighbor: 1
        case .marked: 2
        case .timeout: 3
        case .unreachable: 4
        case .sendFailed: 5
        case .notSent: 6
        }
    }

    static func evidence(_ code: UInt8) -> Evidence {
        switch code {
        case 0: .echoReply
        case 1: .neighbor
        case 2: .marked
        case 3: .timeout
        case 4: .unreachable
        case 5: .sendFailed
        default: .notSent
        }
    }

    /// `aa:bb:cc:dd:ee:ff` (lower-case hex, as the neighbour table gives it) as 48 bits; nil for
    /// any other form, which is then kept as text.
    static func pack(mac text: String) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        var position = 0
        for byte in text.utf8 {
            position += 1
            if position % 3 == 0 {
                guard byte == UInt8(ascii: ":") else { return nil }
                continue
            }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
            digits += 1
        }
        return digits == 12 && position == 17 ? value : nil
    }

    /// The text form of a packed MAC.
    static func format(mac value: UInt64) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(17)
        for index in 0..<6 {
            if index > 0 { bytes.append(UInt8(ascii: ":")) }
            let byte = UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * index))
            bytes.append(hex[Int(byte >> 4)])
            bytes.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
