/// A fixed log-linear histogram of round-trip times in microseconds: O(1) to record, 192 buckets
/// allocated once, no allocation after creation.
///
/// Values below 8 µs each have their own bucket; above, every power of two is split into eight
/// equal buckets, so a bucket's width is at most 1/8 of its lower bound (12.5 %). Values of
/// 15 × 2^22 µs (about 63 s) and more share the last bucket. A percentile is reported as the upper
/// bound of the bucket that holds it, capped at the largest value seen: it never understates, and
/// overstates by less than 12.5 %.
package struct RTTHistogram: Sendable, Hashable {
    /// Sub-buckets per power of two (2^3).
    private static let subBucketBits = 3
    private static let subBuckets = 1 << subBucketBits
    /// Enough buckets for values below 2^26 µs.
    static let bucketCount = (26 - subBucketBits + 1) * subBuckets

    private var buckets: [UInt64]
    /// Values recorded.
    package private(set) var count: UInt64 = 0
    /// The smallest value recorded, in microseconds (0 when none).
    package private(set) var minimum = 0
    /// The largest value recorded, in microseconds (0 when none).
    package private(set) var maximum = 0

    /// An empty histogram.
    package init() {
        buckets = Array(repeating: 0, count: Self.bucketCount)
    }

    /// Records one round-trip time, in microseconds (negative values count as 0).
    /// How many values bucket `bucket` holds.
    func count(inBucket bucket: Int) -> UInt64 { buckets[bucket] }

    package mutating func record(_ microseconds: Int) {
        let value = max(0, microseconds)
        buckets[Self.bucket(of: value)] += 1
        minimum = count == 0 ? value : min(minimum, value)
        maximum = count == 0 ? value : max(maximum, value)
        count += 1
    }

    /// The `quantile` (0…1) of the recorded values, in microseconds: the upper bound of the bucket
    /// holding it, capped at ``maximum``; `nil` when nothing was recorded.
    package func percentile(_ quantile: Double) -> Int? {
        guard count > 0 else { return nil }
        let clamped = min(max(quantile, 0), 1)
        // The rank (1-based) of the value sought: the smallest rank r with r / count ≥ quantile.
        let rank = max(1, UInt64((clamped * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (bucket, bucketCount) in buckets.enumerated() where bucketCount > 0 {
            seen += bucketCount
            if seen >= rank { return min(Self.upperBound(of: bucket), maximum) }
        }
        return maximum
    }

    /// The bucket a value falls into.
    static func bucket(of value: Int) -> Int {
        if value < subBuckets { return value }
        let exponent = Int.bitWidth - 1 - value.leadingZeroBitCount
        let mantissa = (value >> (exponent - subBucketBits)) & (subBuckets - 1)
        return min((exponent - subBucketBits + 1) * subBuckets + mantissa, bucketCount - 1)
    }

    /// The largest value a bucket holds (the last bucket: `Int.max`).
    static func upperBound(of bucket: Int) -> Int {
        if bucket < subBuckets { return bucket }
        if bucket == bucketCount - 1 { return .max }
        let exponent = bucket / subBuckets + subBucketBits - 1
        let mantissa = bucket % subBuckets
        return ((subBuckets + mantissa + 1) << (exponent - subBucketBits)) - 1
    }
}
