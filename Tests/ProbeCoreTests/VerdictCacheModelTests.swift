import ProbeProtocol
import Testing

@testable import ProbeCore

/// The cache's own hash table and slot storage against a plain dictionary, over long random runs of
/// inserts, lookups and removals (v4, v6 and zoned addresses whose halves collide on purpose).
@Suite struct VerdictCacheModelTests {
    static let second: UInt64 = 1_000_000_000

    /// A small universe of addresses, so that the run keeps hitting the same ones.
    static func universe() -> [IPAddress] {
        var addresses: [IPAddress] = []
        for last in 0..<200 { addresses.append(.v4(IPv4Address(0xC633_6400 + UInt32(last)))) }
        for last in 0..<200 { addresses.append(.v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: UInt64(last)))) }
        // The same 64 bits as IPv4 and IPv6, and link-local addresses with and without zones.
        for last in 0..<20 { addresses.append(.v6(IPv6Address(high: 0, low: 0xC633_6400 + UInt64(last)))) }
        for last in 0..<20 {
            addresses.append(.v6(IPv6Address(high: 0xFE80_0000_0000_0000, low: UInt64(last))))
            addresses.append(.v6(IPv6Address(high: 0xFE80_0000_0000_0000, low: UInt64(last), zone: "eth0")))
            addresses.append(.v6(IPv6Address(high: 0xFE80_0000_0000_0000, low: UInt64(last), zone: "eth1")))
        }
        return addresses
    }

    @Test(arguments: [1, 2, 3])
    func agreesWithADictionary(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let addresses = Self.universe()
        let start: UInt64 = 1_000 * Self.second
        var cache = VerdictCache(inUseTTL: 3_600 * Self.second, freeTTL: 3_600 * Self.second, maxEntries: 10_000)
        var model: [IPAddress: VerdictCache.Entry] = [:]
        let macs = ["02:00:00:00:00:14", "0A:BB:cc:00:00:01", "00:11:22:33:44:55:66:77", "aa:bb:cc:dd:ee:ff"]
        for step in 0..<20_000 {
            let address = addresses.randomElement(using: &generator)!
            let now = start + UInt64(step)
            switch Int.random(in: 0..<10, using: &generator) {
            case 0...3:
                let inUse = Bool.random(using: &generator)
                let mac = inUse && Bool.random(using: &generator) ? macs.randomElement(using: &generator) : nil
                let rtt = inUse && mac == nil ? Int.random(in: 0...500_000, using: &generator) : nil
                let entry = VerdictCache.Entry(
                    state: inUse ? .inUse : .free,
                    evidence: mac != nil ? .neighbor : (inUse ? .echoReply : .timeout),
                    rttMicroseconds: rtt,
                    mac: mac,
                    reason: Int.random(in: 0..<20, using: &generator) == 0 ? "why not" : nil,
                    recordedAt: now,
                    expiresAt: now + 3_600 * Self.second
                )
                let stored = cache.insert(entry, for: address, now: now)
                #expect(stored)
                model[address] = entry
            case 4...5:
                let removed = cache.remove(address)
                #expect(removed == (model.removeValue(forKey: address) != nil))
            default:
                let found = cache.lookup(address, maxAge: nil, now: now)
                #expect(found == model[address], "step \(step)")
            }
            #expect(cache.count == model.count)
        }
        #expect(Set(cache.addressesByRecency) == Set(model.keys))
        for (address, entry) in model { #expect(cache.peek(address) == entry) }
        let linkLocal = model.keys.count { $0.isLinkLocal }
        let removedByPrefix = cache.remove(prefix: IPPrefix("fe80::/10")!)
        #expect(removedByPrefix == linkLocal)
        let removedAll = cache.removeAll()
        #expect(removedAll == model.count - linkLocal)
        #expect(cache.count == 0)
    }
}

/// A small deterministic generator (SplitMix64), so that a failing run can be repeated (shared by
/// the randomized tests of this target).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
