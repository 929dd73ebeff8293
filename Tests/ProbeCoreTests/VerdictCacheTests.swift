import ProbeProtocol
import Testing

@testable import ProbeCore

@Suite struct VerdictCacheTests {
    let ip = CheckerFixture.ip
    let prefix = CheckerFixture.prefix
    static let second: UInt64 = 1_000_000_000
    let start: UInt64 = 5_000 * VerdictCacheTests.second

    func makeCache(maxEntries: Int = 100) -> VerdictCache {
        VerdictCache(inUseTTL: 60 * Self.second, freeTTL: 10 * Self.second, maxEntries: maxEntries)
    }

    @Test func aProbeVerdictLivesForItsStatesTTL() {
        var cache = makeCache()
        let busy = ip("198.51.100.10")
        let idle = ip("198.51.100.77")
        cache.record(busy, state: .inUse, evidence: .echoReply, rttMicroseconds: 412, now: start)
        cache.record(idle, state: .free, evidence: .timeout, now: start)
        #expect(cache.peek(busy)?.expiresAt == start + 60 * Self.second)
        #expect(cache.peek(idle)?.expiresAt == start + 10 * Self.second)

        let justBefore = start + 10 * Self.second - 1
        #expect(cache.lookup(idle, maxAge: nil, now: justBefore)?.state == .free)
        #expect(cache.lookup(idle, maxAge: nil, now: start + 10 * Self.second) == nil)
        #expect(cache.peek(idle) == nil, "an expired entry met by a lookup is dropped")
        #expect(cache.expirations == 1)

        let entry = cache.lookup(busy, maxAge: nil, now: start + 59 * Self.second)
        #expect(entry?.state == .inUse)
        #expect(entry?.evidence == .echoReply)
        #expect(entry?.rttMicroseconds == 412)
        #expect(cache.lookup(busy, maxAge: nil, now: start + 60 * Self.second) == nil)
        #expect(cache.count == 0)
    }

    @Test func unknownVerdictsAreNeverCached() {
        var cache = makeCache()
        let address = ip("198.51.100.5")
        let storedUnknown = cache.record(address, state: .unknown, evidence: .sendFailed, reason: "network unreachable", now: start)
        #expect(!storedUnknown)
        #expect(cache.count == 0)
        #expect(cache.lookup(address, maxAge: nil, now: start) == nil)
        // Nor does an unknown verdict wipe a known one.
        cache.record(address, state: .free, evidence: .timeout, now: start)
        cache.record(address, state: .unknown, evidence: .notSent, now: start + Self.second)
        #expect(cache.peek(address)?.state == .free)
        let markedUnknown = cache.mark(address, state: .unknown, now: start)
        #expect(!markedUnknown)
    }

    @Test func maxAgeLimitsProbeVerdicts() {
        var cache = makeCache()
        let address = ip("198.51.100.20")
        cache.record(address, state: .inUse, evidence: .neighbor, mac: "02:00:00:00:00:14", now: start)
        let now = start + 3 * Self.second
        #expect(cache.lookup(address, maxAge: nil, now: now)?.mac == "02:00:00:00:00:14")
        #expect(cache.lookup(address, maxAge: 3 * Self.second, now: now) != nil)
        #expect(cache.lookup(address, maxAge: 3 * Self.second - 1, now: now) == nil)
        #expect(cache.lookup(address, maxAge: 0, now: start) == nil, "max_age 0 never uses a probe verdict")
        // Refusing for max_age does not drop the entry.
        #expect(cache.peek(address) != nil)
        #expect(cache.lookup(address, maxAge: nil, now: now)?.age(at: now) == 3 * Self.second)
    }

    @Test func aLiveMarkBeatsMaxAgeAndProbeVerdicts() {
        var cache = makeCache()
        let address = ip("198.51.100.30")
        cache.mark(address, state: .inUse, ttl: 3600 * Self.second, now: start)
        let later = start + 120 * Self.second
        let entry = cache.lookup(address, maxAge: 0, now: later)
        #expect(entry?.isMark == true)
        #expect(entry?.evidence == .marked)
        #expect(entry?.state == .inUse)
        #expect(cache.lookup(address, maxAge: Self.second, now: later) != nil)
        // A probe verdict landing meanwhile does not replace it.
        let replaced = cache.record(address, state: .free, evidence: .timeout, now: later)
        #expect(!replaced)
        #expect(cache.peek(address)?.isMark == true)
        // Another mark does.
        let remarked = cache.mark(address, state: .free, ttl: Self.second, now: later)
        #expect(remarked)
        #expect(cache.peek(address)?.state == .free)
        // Once expired, it is gone and a probe verdict may take its place.
        #expect(cache.lookup(address, maxAge: nil, now: later + Self.second) == nil)
        let recorded = cache.record(address, state: .free, evidence: .timeout, now: later + Self.second)
        #expect(recorded)
    }

    @Test func aMarkWithoutTTLTakesItsStatesTTL() {
        var cache = makeCache()
        cache.mark(ip("198.51.100.1"), state: .free, now: start)
        cache.mark(ip("198.51.100.2"), state: .inUse, now: start)
        #expect(cache.peek(ip("198.51.100.1"))?.expiresAt == start + 10 * Self.second)
        #expect(cache.peek(ip("198.51.100.2"))?.expiresAt == start + 60 * Self.second)
    }

    @Test func theZoneIsPartOfTheKey() {
        var cache = makeCache()
        cache.record(ip("fe80::1%eth0"), state: .inUse, evidence: .echoReply, now: start)
        #expect(cache.lookup(ip("fe80::1%eth0"), maxAge: nil, now: start) != nil)
        #expect(cache.lookup(ip("fe80::1%eth1"), maxAge: nil, now: start) == nil)
        #expect(cache.lookup(ip("fe80::1"), maxAge: nil, now: start) == nil)
    }

    @Test func evictsTheLeastRecentlyUsedBeyondTheBound() {
        var cache = makeCache(maxEntries: 3)
        let a = ip("198.51.100.1")
        let b = ip("198.51.100.2")
        let c = ip("198.51.100.3")
        let d = ip("198.51.100.4")
        cache.record(a, state: .free, evidence: .timeout, now: start)
        cache.record(b, state: .free, evidence: .timeout, now: start)
        cache.record(c, state: .free, evidence: .timeout, now: start)
        #expect(cache.addressesByRecency == [c, b, a])
        // A hit makes `a` the most recently used, so `b` goes first.
        #expect(cache.lookup(a, maxAge: nil, now: start) != nil)
        #expect(cache.addressesByRecency == [a, c, b])
        cache.record(d, state: .inUse, evidence: .echoReply, now: start)
        #expect(cache.addressesByRecency == [d, a, c])
        #expect(cache.peek(b) == nil)
        #expect(cache.count == 3)
        #expect(cache.evictions == 1)
        // Re-recording an address held moves it to the front without evicting.
        cache.record(c, state: .inUse, evidence: .echoReply, now: start)
        #expect(cache.addressesByRecency == [c, d, a])
        #expect(cache.evictions == 1)
    }

    @Test func staysBoundedUnderChurn() {
        var cache = makeCache(maxEntries: 50)
        for value in 0..<5_000 {
            cache.record(.v4(IPv4Address(0xC633_0000 + UInt32(value))), state: .free, evidence: .timeout, now: start)
            #expect(cache.count <= 50)
        }
        #expect(cache.count == 50)
        #expect(cache.evictions == 4_950)
        let recent = cache.addressesByRecency
        #expect(recent.count == 50)
        #expect(recent.first == .v4(IPv4Address(0xC633_0000 + 4_999)))
        #expect(recent.last == .v4(IPv4Address(0xC633_0000 + 4_950)))
    }

    @Test func shrinkingTheBoundEvictsTheLeastRecentlyUsed() {
        var cache = makeCache(maxEntries: 10)
        let addresses = (1...5).map { ip("198.51.100.\($0)") }
        for address in addresses { cache.record(address, state: .free, evidence: .timeout, now: start) }
        cache.update(inUseTTL: 5 * Self.second, freeTTL: Self.second, maxEntries: 2)
        #expect(cache.addressesByRecency == [addresses[4], addresses[3]])
        #expect(cache.evictions == 3)
        // Kept entries keep their expiry; new ones take the new TTLs.
        #expect(cache.peek(addresses[4])?.expiresAt == start + 10 * Self.second)
        cache.record(addresses[0], state: .free, evidence: .timeout, now: start)
        #expect(cache.peek(addresses[0])?.expiresAt == start + Self.second)
    }

    @Test func forgetsByAddressPrefixAndAll() {
        var cache = makeCache()
        for last in 1...6 { cache.record(ip("198.51.100.\(last)"), state: .free, evidence: .timeout, now: start) }
        cache.record(ip("198.51.101.1"), state: .free, evidence: .timeout, now: start)
        cache.record(ip("fe80::1%eth0"), state: .inUse, evidence: .echoReply, now: start)
        cache.record(ip("fe80::2%eth1"), state: .inUse, evidence: .echoReply, now: start)
        cache.mark(ip("2001:db8::1"), state: .inUse, now: start)

        let removedOnce = cache.remove(ip("198.51.100.1"))
        let removedTwice = cache.remove(ip("198.51.100.1"))
        let removedWithoutZone = cache.remove(ip("fe80::1"))
        #expect(removedOnce)
        #expect(!removedTwice)
        #expect(!removedWithoutZone, "the zone must match")
        #expect(cache.count == 9)

        #expect(cache.remove(prefix: prefix("198.51.100.4/30")) == 3)  // .4 .5 .6
        #expect(cache.remove(prefix: prefix("fe80::/64")) == 2, "zones are ignored by a prefix")
        #expect(cache.remove(prefix: prefix("10.0.0.0/8")) == 0)
        #expect(cache.count == 4)
        #expect(Set(cache.addressesByRecency) == [ip("198.51.100.2"), ip("198.51.100.3"), ip("198.51.101.1"), ip("2001:db8::1")])

        #expect(cache.removeAll() == 4)
        #expect(cache.count == 0)
        #expect(cache.addressesByRecency.isEmpty)
        // Still usable afterwards.
        cache.record(ip("198.51.100.9"), state: .free, evidence: .timeout, now: start)
        #expect(cache.lookup(ip("198.51.100.9"), maxAge: nil, now: start) != nil)
    }

    @Test func freedSlotsAreReusedAndTheListStaysConsistent() {
        var cache = makeCache(maxEntries: 8)
        let addresses = (1...8).map { ip("198.51.100.\($0)") }
        for address in addresses { cache.record(address, state: .free, evidence: .timeout, now: start) }
        cache.remove(addresses[0])  // the tail
        cache.remove(addresses[7])  // the head
        cache.remove(addresses[3])  // the middle
        #expect(cache.addressesByRecency == [addresses[6], addresses[5], addresses[4], addresses[2], addresses[1]])
        for value in 100..<103 { cache.record(ip("198.51.100.\(value)"), state: .free, evidence: .timeout, now: start) }
        #expect(cache.count == 8)
        #expect(cache.evictions == 0)
        #expect(cache.addressesByRecency.first == ip("198.51.100.102"))
        #expect(cache.addressesByRecency.last == addresses[1])
    }

    @Test func theSweepDropsExpiredEntriesItMeets() {
        var cache = makeCache()
        for last in 1...10 { cache.record(ip("198.51.100.\(last)"), state: .free, evidence: .timeout, now: start) }
        cache.record(ip("198.51.100.99"), state: .inUse, evidence: .echoReply, now: start)
        let later = start + 30 * Self.second
        #expect(cache.sweep(now: later, limit: 100) == 10)
        #expect(cache.count == 1)
        #expect(cache.expirations == 10)
        // Insertions sweep a few slots each: dead entries go without any lookup.
        var churn = makeCache()
        for last in 1...10 { churn.record(ip("198.51.100.\(last)"), state: .free, evidence: .timeout, now: start) }
        for last in 11...20 { churn.record(ip("198.51.100.\(last)"), state: .inUse, evidence: .echoReply, now: later) }
        #expect(churn.count < 20)
        #expect(churn.expirations > 0)
    }

    @Test func aCachedVerdictCarriesItsAge() {
        var cache = makeCache()
        let address = ip("198.51.100.10")
        cache.record(address, state: .inUse, evidence: .echoReply, rttMicroseconds: 250, now: start)
        let now = start + 1_234_567_890
        let verdict = cache.lookup(address, maxAge: nil, now: now)?.verdict(for: address, now: now)
        #expect(
            verdict
                == Verdict(
                    addr: address,
                    state: .inUse,
                    evidence: .echoReply,
                    rttMicroseconds: 250,
                    cached: true,
                    ageMilliseconds: 1_234
                )
        )
    }
}
