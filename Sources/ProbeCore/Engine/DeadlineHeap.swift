/// A binary min-heap of timed engine events: one structure for every probe's sends and deadline,
/// instead of a timer per probe. Stale entries (for a probe that already ended) are skipped by
/// the engine when they surface, which keeps removal O(1).
package struct DeadlineHeap<Element>: Sendable where Element: Sendable {
    package struct Entry: Sendable {
        package var time: UInt64
        package var element: Element
    }

    private var entries: [Entry] = []

    package init() {}

    package var isEmpty: Bool { entries.isEmpty }
    package var count: Int { entries.count }
    /// The earliest time in the heap.
    package var nextTime: UInt64? { entries.first?.time }

    /// The earliest entry.
    package var first: Entry? { entries.first }

    /// Removes the earliest entry (a stale one, before the loop computes when to wake).
    package mutating func removeFirst() {
        guard let first else { return }
        _ = popDue(now: first.time)
    }

    package mutating func insert(_ element: Element, at time: UInt64) {
        entries.append(Entry(time: time, element: element))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].time < entries[parent].time else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    package mutating func popDue(now: UInt64) -> Entry? {
        guard let first = entries.first, first.time <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < entries.count, entries[left].time < entries[smallest].time { smallest = left }
                if right < entries.count, entries[right].time < entries[smallest].time { smallest = right }
                if smallest == parent { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }

    package mutating func removeAll() { entries.removeAll(keepingCapacity: true) }
}
