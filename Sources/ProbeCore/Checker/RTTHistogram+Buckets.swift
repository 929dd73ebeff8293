import Synchronization

extension RTTHistogram {
    /// The buckets that hold values: each bucket's index, its upper bound in microseconds (capped
    /// at the largest value seen) and how many values it holds, in increasing order.
    package var occupiedBuckets: [(index: Int, upperBound: Int, count: UInt64)] {
        var result: [(index: Int, upperBound: Int, count: UInt64)] = []
        for bucket in 0..<Self.bucketCount {
            let held = self.count(inBucket: bucket)
            if held > 0 { result.append((bucket, min(Self.upperBound(of: bucket), maximum), held)) }
        }
        return result
    }
}

extension Checker {
    /// The echo-reply round trips recorded so far (for the metrics exporter's histogram).
    package func roundTripHistogram() -> RTTHistogram {
        state.withLock { $0.roundTrips }
    }
}
