import ProbeProtocol

extension Checker {
    /// The probes in flight, by address, and who waits for each. Usually one probe an address,
    /// held without any allocation of its own; the rare second one (a request whose deadline
    /// could not wait for the first) goes to an overflow table.
    struct InFlightTable {
        private var probes: [IPAddress: InFlightProbe] = [:]
        private var overflow: [IPAddress: [InFlightProbe]] = [:]

        var isEmpty: Bool { probes.isEmpty }

        /// Probes in flight.
        var count: Int { probes.count + overflow.values.reduce(0) { $0 + $1.count } }

        /// Requests waiting for the probes in flight (O(probes): for `stats`).
        var waiterCount: Int {
            probes.values.reduce(0) { $0 + $1.waiters.count }
                + overflow.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.waiters.count } }
        }

        /// Whether any probe of `address` is in flight.
        func contains(_ address: IPAddress) -> Bool { probes[address] != nil }

        /// Adds `waiter` to a probe of `address` that ends by `deadline`, if there is one.
        mutating func join(_ address: IPAddress, endingBy deadline: UInt64, waiter: Waiter) -> Bool {
            if let probe = probes[address], probe.deadline <= deadline {
                probes[address]!.waiters.append(waiter)
                return true
            }
            if let index = overflow[address]?.firstIndex(where: { $0.deadline <= deadline }) {
                overflow[address]![index].waiters.append(waiter)
                return true
            }
            return false
        }

        mutating func add(_ probe: InFlightProbe, for address: IPAddress) {
            if probes[address] == nil {
                probes[address] = probe
            } else {
                overflow[address, default: []].append(probe)
            }
        }

        /// Takes probe `id` of `address` out of the table.
        mutating func remove(_ address: IPAddress, id: UInt64) -> InFlightProbe? {
            if let probe = probes[address], probe.id == id {
                // The next probe of the address, if any, takes its place.
                if var others = overflow.removeValue(forKey: address) {
                    probes[address] = others.removeFirst()
                    if !others.isEmpty { overflow[address] = others }
                } else {
                    probes[address] = nil
                }
                return probe
            }
            guard let index = overflow[address]?.firstIndex(where: { $0.id == id }) else { return nil }
            let probe = overflow[address]!.remove(at: index)
            if overflow[address]!.isEmpty { overflow[address] = nil }
            return probe
        }

        /// Empties the table, returning every waiter.
        mutating func removeAll() -> [Waiter] {
            var waiters: [Waiter] = []
            for probe in probes.values { probe.waiters.forEach { waiters.append($0) } }
            for others in overflow.values {
                for probe in others { probe.waiters.forEach { waiters.append($0) } }
            }
            probes = [:]
            overflow = [:]
            return waiters
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
