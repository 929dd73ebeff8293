import ProbeProtocol
import Testing

@testable import ProbeConfig

@Suite struct DecoderInternalsTests {
    @Test func coverageByAUnionOfRanges() {
        #expect(ConfigurationDecoder.covers([0...9, 10...19], 5...15))
        #expect(!ConfigurationDecoder.covers([0...9, 11...19], 5...15))
        #expect(ConfigurationDecoder.covers([0...UInt128.max], 5...15))
        #expect(!ConfigurationDecoder.covers([], 5...5))
        #expect(ConfigurationDecoder.covers([12...30, 0...12], 5...15))
        #expect(!ConfigurationDecoder.covers([0...4, 6...20], 0...20))
    }

    @Test func editDistanceForSuggestions() {
        #expect(ConfigNode.editDistance("timeout_ms", "timout_ms") == 1)
        #expect(ConfigNode.editDistance("timeout_ms", "TIMEOUT_MS") == 0)
        #expect(ConfigNode.editDistance("", "abc") == 3)
    }

    @Test func strictPrefixParsing() throws {
        #expect(try ConfigurationDecoder.parsePrefix("::ffff:10.0.0.0/104").get() == IPPrefix("10.0.0.0/8"))
        #expect(try ConfigurationDecoder.parsePrefix("2001:DB8::/32").get().description == "2001:db8::/32")
        #expect((try? ConfigurationDecoder.parsePrefix("10.0.0.0").get()) == nil)
        #expect((try? ConfigurationDecoder.parsePrefix("10.0.0.1/8").get()) == nil)
    }

    @Test func rangeParsingAllowsSpacesAroundTheDash() throws {
        let range = try ConfigurationDecoder.parseRange(" 198.51.100.1 - 198.51.100.9 ").get()
        #expect(range.description == "198.51.100.1-198.51.100.9")
        #expect(range.count == 9)
    }
}
