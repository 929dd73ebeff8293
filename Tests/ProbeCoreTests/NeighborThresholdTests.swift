import Foundation
import Testing

@testable import ProbeCore

/// `gc_thresh3` from an `RTM_NEWNEIGHTBL` message (rtnetlink, no /proc).
struct NeighborThresholdTests {
    /// struct ndtmsg (family, pads), then attributes: NDTA_NAME "arp_cache", NDTA_THRESH1..3.
    static func tableMessage(family: UInt8, thresh3: UInt32?) -> [UInt8] {
        var bytes: [UInt8] = [family, 0, 0, 0]
        func attribute(_ type: UInt16, _ value: [UInt8]) {
            let length = UInt16(4 + value.count)
            bytes +=
                withUnsafeBytes(of: length.littleEndian, Array.init)
                + withUnsafeBytes(of: type.littleEndian, Array.init) + value
            while bytes.count % 4 != 0 { bytes.append(0) }
        }
        attribute(1, Array("arp_cache".utf8) + [0])
        attribute(2, withUnsafeBytes(of: UInt32(128).littleEndian, Array.init))
        if let thresh3 { attribute(4, withUnsafeBytes(of: thresh3.littleEndian, Array.init)) }
        return bytes
    }

    @Test func theThirdThresholdIsRead() {
        let message = Self.tableMessage(family: 2, thresh3: 4096)
        #expect(message.withUnsafeBytes { NeighborTable.gcThresh3(ofTableMessage: $0) } == 4096)
        let ipv6 = Self.tableMessage(family: 10, thresh3: 2048)
        #expect(ipv6.withUnsafeBytes { NeighborTable.gcThresh3(ofTableMessage: $0) } == 2048)
    }

    @Test func otherFamiliesAndDeviceMessagesAreSkipped() {
        #expect(
            Self.tableMessage(family: 7, thresh3: 99).withUnsafeBytes { NeighborTable.gcThresh3(ofTableMessage: $0) }
                == nil
        )
        #expect(
            Self.tableMessage(family: 2, thresh3: nil).withUnsafeBytes { NeighborTable.gcThresh3(ofTableMessage: $0) }
                == nil
        )
        #expect([UInt8]([2, 0]).withUnsafeBytes { NeighborTable.gcThresh3(ofTableMessage: $0) } == nil)
    }

    @Test func theBudgetIsHalfTheSmallerTable() {
        #expect(NeighborTable.onLinkProbeBudget(gcThresh3: 1024) == 512)
        #expect(NeighborTable.onLinkProbeBudget(gcThresh3: 8) == 16)
        #expect(NeighborTable.onLinkProbeBudget(gcThresh3: nil) == NeighborTable.defaultOnLinkProbeBudget)
    }

    /// The kernel's own answer in this network namespace equals what /proc/sys shows (read here,
    /// where /proc/sys is visible; the daemon does not read it).
    @Test func theKernelAnswersWithoutProc() throws {
        let table = try NeighborTable()
        let fromNetlink = try #require(try table.gcThresh3())
        func read(_ path: String) -> Int? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        let fromProc = [
            read("/proc/sys/net/ipv4/neigh/default/gc_thresh3"), read("/proc/sys/net/ipv6/neigh/default/gc_thresh3"),
        ].compactMap { $0 }.min()
        #expect(fromNetlink == fromProc)
    }
}
