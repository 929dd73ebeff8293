import ProbeProtocol
import Testing

@testable import ProbeCore

/// The checker's table of probes in flight (slots found through an ``AddressIndex``, an overflow
/// table for second probes of an address) against a plain dictionary of lists, over long random
/// runs of adds, joins and removals.
@Suite struct InFlightTableModelTests {
    /// What the model keeps of a probe: its id, deadline and how many wait for it.
    struct ModelProbe: Equatable {
        var id: UInt64
        var deadline: UInt64
        var waiters: Int
    }

    static let waiter = Checker.Waiter(answer: { _ in }, counted: true)

    @Test(arguments: [1, 2, 3])
    func agreesWithADictionary(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let addresses = VerdictCacheModelTests.universe()
        var table = Checker.InFlightTable()
        var model: [IPAddress: [ModelProbe]] = [:]
        var nextID: UInt64 = 0
        for _ in 0..<30_000 {
            let address = addresses.randomElement(using: &generator)!
            switch Int.random(in: 0..<10, using: &generator) {
            case 0...3:
                let deadline = UInt64.random(in: 1...1_000, using: &generator)
                table.add(Checker.InFlightProbe(address: address, id: nextID, deadline: deadline, waiters: Checker.WaiterList(Self.waiter)))
                model[address, default: []].append(ModelProbe(id: nextID, deadline: deadline, waiters: 1))
                nextID += 1
            case 4...5:
                let by = UInt64.random(in: 1...1_000, using: &generator)
                let joined = table.join(address, endingBy: by, waiter: Self.waiter)
                // The table joins the first probe of the address that ends in time.
                if let index = model[address]?.firstIndex(where: { $0.deadline <= by }) {
                    #expect(joined)
                    model[address]![index].waiters += 1
                } else {
                    #expect(!joined)
                }
            default:
                guard let probes = model[address], !probes.isEmpty else {
                    #expect(table.remove(address, id: UInt64.random(in: 0...nextID, using: &generator)) == nil)
                    continue
                }
                let victim = probes.randomElement(using: &generator)!
                let removed = table.remove(address, id: victim.id)
                #expect(removed?.id == victim.id)
                #expect(removed?.address == address)
                #expect(removed?.waiters.count == victim.waiters)
                model[address]!.removeAll { $0.id == victim.id }
                if model[address]!.isEmpty { model[address] = nil }
            }
            #expect(table.contains(address) == (model[address] != nil))
        }
        #expect(table.count == model.values.reduce(0) { $0 + $1.count })
        #expect(table.waiterCount == model.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.waiters } })
        for address in addresses { #expect(table.contains(address) == (model[address] != nil)) }
        let waiters = table.removeAll()
        #expect(waiters.count == model.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.waiters } })
        #expect(table.isEmpty)
    }
}
