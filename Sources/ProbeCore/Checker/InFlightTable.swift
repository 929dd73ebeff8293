import ProbeProtocol

extension Checker {
    /// The probes in flight, by address, and who waits for each: one slot a probe in an array that
    /// does not shrink (its peak is `max_in_flight`), found through an ``AddressIndex``; about 100
    /// bytes a probe, and no allocation of its own. The rare second probe of an address (a request
    /// whose deadline could not wait for the first) goes to an overflow table.
    struct InFlightTable {
        private var slots: [InFlightProbe?] = []
        /// Each slot's hash, beside the slots: the index moves entries by their hash, and reading
        /// it here costs no cache miss on the probe itself.
        private var hashes: [UInt64] = []
        private var freeSlots: [Int32] = []
        private var index = AddressIndex()
        private let seed = UInt64.random(in: 0...UInt64.max)
        private var overflow: [IPAddress: [InFlightProbe]] = [:]

        var isEmpty: Bool { index.count == 0 }

        /// Probes in flight.
        var count: Int { index.count + overflow.values.reduce(0) { $0 + $1.count } }

        /// Requests waiting for the probes in flight (O(slots): for `stats`).
        var waiterCount: Int {
            slots.reduce(0) { $0 + ($1?.waiters.count ?? 0) }
                + overflow.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.waiters.count } }
        }

        /// Whether any probe of `address` is in flight.
        func contains(_ address: IPAddress) -> Bool { slot(of: address) != nil }

        /// Adds `waiter` to a probe of `address` that ends by `deadline`, if there is one.
        mutating func join(_ address: IPAddress, endingBy deadline: UInt64, waiter: Waiter) -> Bool {
            // An address has overflow probes only while it holds a slot.
            guard let slot = slot(of: address) else { return false }
            if slots[Int(slot)]!.deadline <= deadline {
                slots[Int(slot)]!.waiters.append(waiter)
                return true
            }
            if !overflow.isEmpty, let index = overflow[address]?.firstIndex(where: { $0.deadline <= deadline }) {
                overflow[address]![index].waiters.append(waiter)
                return true
            }
            return false
        }

        mutating func add(_ probe: InFlightProbe) {
            let hash = Self.hash(probe.address, seed: seed)
            guard slot(of: probe.address, hash: hash) == nil else {
                overflow[probe.address, default: []].append(probe)
                return
            }
            let slot: Int32
            if let free = freeSlots.popLast() {
                slot = free
                slots[Int(slot)] = probe
                hashes[Int(slot)] = hash
            } else {
                slot = Int32(slots.count)
                slots.append(probe)
                hashes.append(hash)
            }
            let hashes = self.hashes
            index.insert(slot, hash: hash) { hashes[Int($0)] }
        }

        /// Takes probe `id` of `address` out of the table.
        mutating func remove(_ address: IPAddress, id: UInt64) -> InFlightProbe? {
            let hash = Self.hash(address, seed: seed)
            if let slot = slot(of: address, hash: hash), let probe = slots[Int(slot)], probe.id == id {
                // The next probe of the address, if any, takes its place.
                if !overflow.isEmpty, var others = overflow.removeValue(forKey: address) {
                    slots[Int(slot)] = others.removeFirst()
                    if !others.isEmpty { overflow[address] = others }
                } else {
                    do {
                        // The closure reads the hashes while the index changes: through a local
                        // reference, gone before the hashes change (or they would be copied).
                        let hashes = self.hashes
                        index.remove(slot, hash: hash) { hashes[Int($0)] }
                    }
                    slots[Int(slot)] = nil
                    freeSlots.append(slot)
                }
                return probe
            }
            guard !overflow.isEmpty, let index = overflow[address]?.firstIndex(where: { $0.id == id }) else { return nil }
            let probe = overflow[address]!.remove(at: index)
            if overflow[address]!.isEmpty { overflow[address] = nil }
            return probe
        }

        /// Starts loading the index bucket that a lookup of `address` reads first.
        func prefetchBucket(_ address: IPAddress) {
            index.prefetch(hash: Self.hash(address, seed: seed))
        }

        /// Starts loading the probe that a lookup of `address` would compare first (its bucket
        /// should be loaded already: ``prefetchBucket(_:)``).
        func prefetchProbe(_ address: IPAddress) {
            index.prefetchFirstMatch(hash: Self.hash(address, seed: seed), in: slots)
        }

        /// Empties the table, returning every waiter.
        mutating func removeAll() -> [Waiter] {
            var waiters: [Waiter] = []
            for probe in slots { probe?.waiters.forEach { waiters.append($0) } }
            for others in overflow.values {
                for probe in others { probe.waiters.forEach { waiters.append($0) } }
            }
            slots = []
            hashes = []
            freeSlots = []
            index.removeAll()
            overflow = [:]
            return waiters
        }

        private func slot(of address: IPAddress) -> Int32? {
            slot(of: address, hash: Self.hash(address, seed: seed))
        }

        /// The slot of `address`, whose hash is `hash` (computed once by callers that need it again).
        private func slot(of address: IPAddress, hash: UInt64) -> Int32? {
            index.find(hash: hash) { slots[Int($0)]!.address == address }
        }

        private static func hash(_ address: IPAddress, seed: UInt64) -> UInt64 {
            VerdictCache.Key(address).hash(seed: seed)
        }
    }

    /// The requests waiting for one probe: the first held inline (most probes have one waiter or
    /// none), the rest in an array.
    struct WaiterList {
        private var first: Waiter?
        private var rest: [Waiter] = []

        init() {}

        init(_ waiter: Waiter) { first = waiter }

        var count: Int { first == nil ? 0 : 1 + rest.count }

        mutating func append(_ waiter: Waiter) {
            if first == nil { first = waiter } else { rest.append(waiter) }
        }

        func forEach(_ body: (Waiter) -> Void) {
            guard let first else { return }
            body(first)
            rest.forEach(body)
        }
    }
}
