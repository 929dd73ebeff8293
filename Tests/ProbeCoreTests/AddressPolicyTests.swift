import ProbeProtocol
import Testing

@testable import ProbeCore

@Suite struct AddressPolicyTests {
    let ip = CheckerFixture.ip
    let prefix = CheckerFixture.prefix

    @Test func allowsAnAddressInsideAPrefix() {
        let policy = AddressPolicy(allow: [prefix("198.51.100.0/24"), prefix("2001:db8::/32")])
        #expect(policy.check(ip("198.51.100.1")) == nil)
        #expect(policy.check(ip("198.51.100.255")) == nil)
        #expect(policy.check(ip("2001:db8::42")) == nil)
        #expect(policy.allows(ip("198.51.100.77")))
    }

    @Test func refusesAnAddressOutsideEveryPrefixNamingIt() {
        let policy = AddressPolicy(allow: [prefix("198.51.100.0/24")])
        #expect(policy.check(ip("203.0.113.9")) == .notAllowed("203.0.113.9 is outside the allowed prefixes"))
        #expect(policy.check(ip("198.51.101.0"))?.code == .notAllowed)
        // Across families nothing matches.
        #expect(policy.check(ip("2001:db8::1")) == .notAllowed("2001:db8::1 is outside the allowed prefixes"))
        #expect(!policy.allows(ip("203.0.113.9")))
    }

    @Test func anEmptyPolicyRefusesEverything() {
        let policy = AddressPolicy(allow: [])
        #expect(policy.check(ip("198.51.100.1"))?.code == .notAllowed)
        #expect(policy.check(ip("::1"))?.code == .notAllowed)
    }

    @Test(arguments: [
        ("0.0.0.0", "0.0.0.0 is the unspecified address"),
        ("::", ":: is the unspecified address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("239.255.255.250", "239.255.255.250 is a multicast address"),
        ("ff02::1", "ff02::1 is a multicast address"),
        ("ff05::1:3", "ff05::1:3 is a multicast address"),
        ("255.255.255.255", "255.255.255.255 is the limited broadcast address"),
    ])
    func refusesSpecialAddressesEvenWhenAllowed(address: String, message: String) {
        let everything = AddressPolicy(allow: [prefix("0.0.0.0/0"), prefix("::/0")])
        #expect(everything.check(ip(address)) == .notAllowed(message))
    }

    @Test func allowsTheNeighboursOfSpecialAddresses() {
        let everything = AddressPolicy(allow: [prefix("0.0.0.0/0"), prefix("::/0")])
        #expect(everything.check(ip("0.0.0.1")) == nil)
        #expect(everything.check(ip("223.255.255.255")) == nil)
        #expect(everything.check(ip("240.0.0.1")) == nil)
        #expect(everything.check(ip("255.255.255.254")) == nil)
        #expect(everything.check(ip("::1")) == nil)
        #expect(everything.check(ip("fe80::1")) == nil)
    }

    @Test func ignoresTheZoneForThePrefixTest() {
        let policy = AddressPolicy(allow: [prefix("fe80::/10")])
        #expect(policy.check(ip("fe80::1%eth0")) == nil)
        #expect(policy.check(ip("fe80::1")) == nil)
        let narrow = AddressPolicy(allow: [prefix("fe80::1/128")])
        #expect(narrow.check(ip("fe80::1%eth1")) == nil)
        #expect(narrow.check(ip("fe80::2%eth1")) == .notAllowed("fe80::2%eth1 is outside the allowed prefixes"))
    }

    @Test func anIPv4MappedAddressIsJudgedAsIPv4() {
        let policy = AddressPolicy(allow: [prefix("198.51.100.0/24")])
        #expect(policy.check(ip("::ffff:198.51.100.7")) == nil)
        #expect(policy.check(ip("::ffff:224.0.0.1")) == .notAllowed("224.0.0.1 is a multicast address"))
    }
}
