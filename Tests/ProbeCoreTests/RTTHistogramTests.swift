import Testing

@testable import ProbeCore

@Suite struct RTTHistogramTests {
    @Test func everyValueFallsInABucketThatHoldsIt() {
        var value = 0
        while value < 100_000_000 {
            let bucket = RTTHistogram.bucket(of: value)
            #expect(bucket >= 0 && bucket < RTTHistogram.bucketCount)
            #expect(RTTHistogram.upperBound(of: bucket) >= value)
            if bucket > 0 { #expect(RTTHistogram.upperBound(of: bucket - 1) < value) }
            value = value < 64 ? value + 1 : value + value / 7
        }
    }

    @Test func bucketsAreAtMostAnEighthWide() {
        for bucket in 8..<(RTTHistogram.bucketCount - 1) {
            let lower = RTTHistogram.upperBound(of: bucket - 1) + 1
            let upper = RTTHistogram.upperBound(of: bucket)
            #expect(upper - lower + 1 <= max(1, lower / 8))
        }
    }

    @Test func emptyHasNoPercentile() {
        #expect(RTTHistogram().percentile(0.5) == nil)
    }

    @Test func smallValuesAreExact() {
        var histogram = RTTHistogram()
        for value in [1, 2, 3, 4, 5, 6, 7] { histogram.record(value) }
        #expect(histogram.percentile(0.5) == 4)
        #expect(histogram.percentile(1) == 7)
        #expect(histogram.percentile(0) == 1)
        #expect(histogram.minimum == 1)
        #expect(histogram.count == 7)
    }

    @Test func percentilesNeverUnderstateAndStayWithinAnEighth() {
        var histogram = RTTHistogram()
        // 1…1000 µs, once each: p50 is 500, p90 900, p99 990.
        for value in 1...1000 { histogram.record(value) }
        for (quantile, exact) in [(0.5, 500), (0.9, 900), (0.99, 990)] {
            let reported = histogram.percentile(quantile)!
            #expect(reported >= exact)
            #expect(Double(reported) <= Double(exact) * 1.125)
        }
        #expect(histogram.percentile(1) == 1000)
        #expect(histogram.maximum == 1000)
    }

    @Test func theMaximumCapsThePercentile() {
        var histogram = RTTHistogram()
        histogram.record(1_000)
        #expect(histogram.percentile(0.99) == 1_000)
        histogram.record(500_000_000)
        #expect(histogram.percentile(1) == 500_000_000)
        histogram.record(-5)
        #expect(histogram.minimum == 0)
    }
}
