import CProbeSys
import Glibc

extension NetlinkSocket {
    /// What one ``readEvents(limit:_:)`` call read.
    package struct EventSummary: Sendable, Hashable {
        /// Neighbour messages passed to the handler.
        package var events = 0
        /// Datagrams read.
        package var datagrams = 0
        /// Messages skipped as not about an IPv4 or IPv6 neighbour (e.g. bridge forwarding entries).
        package var ignored = 0
        /// Messages (or datagrams, when their framing broke) skipped as malformed.
        package var malformed = 0
        /// Whether the kernel dropped events for lack of receive buffer (`ENOBUFS`) or a datagram
        /// was cut: some changes were missed, so a dump is needed to know the table.
        package var lost = false
        /// Whether the socket may hold more (the call stopped at its limit).
        package var more = false

        package init() {}
    }

    /// Opens a non-blocking socket subscribed to the neighbour events (`RTNLGRP_NEIGH`) of the
    /// calling thread's network namespace: poll ``descriptor`` for `POLLIN`, then call
    /// ``readEvents(limit:_:)``.
    ///
    /// - Parameter receiveBufferBytes: the kernel buffer for events between two reads (1 MiB
    ///   holds about 8,000 events; one silent target makes two, INCOMPLETE and FAILED).
    /// - Throws: ``NetlinkError`` `.socket`.
    package static func openMonitor(receiveBufferBytes: Int = 1 << 20) throws(NetlinkError) -> NetlinkSocket {
        try NetlinkSocket(groups: [Netlink.neighborGroup], receiveBufferBytes: receiveBufferBytes)
    }

    /// Joins or leaves a multicast group (`NETLINK_ADD_MEMBERSHIP` / `NETLINK_DROP_MEMBERSHIP`):
    /// a socket that is not in the group gets none of its events, and the kernel spends nothing on
    /// queueing them.
    ///
    /// - Returns: whether the kernel agreed.
    @discardableResult
    package func setMembership(_ group: UInt32, joined: Bool) -> Bool {
        var value = group
        let option = joined ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP
        return setsockopt(descriptor, SOL_NETLINK, option, &value, socklen_t(MemoryLayout<UInt32>.size)) == 0
    }

    /// Reads the neighbour events waiting on a monitor socket, without blocking, and passes each
    /// (IPv4 and IPv6, added, changed or removed) to `handler`.
    ///
    /// Only datagrams from the kernel are read; malformed messages are skipped and counted.
    ///
    /// - Parameters:
    ///   - limit: at most this many datagrams per call, so that a storm of events cannot hold up
    ///     the caller's loop (``EventSummary/more`` tells that some are left).
    ///   - handler: called with each event, in the kernel's order.
    /// - Throws: ``NetlinkError`` `.receive` when the socket itself fails.
    @discardableResult
    package func readEvents(limit: Int = 64, _ handler: (NeighborMessage) -> Void) throws(NetlinkError) -> EventSummary {
        var summary = EventSummary()
        while summary.datagrams < limit {
            let reading: Reading
            do {
                reading = try receiveNow()
            } catch where error.code == .truncated {
                summary.lost = true
                continue
            }
            switch reading {
            case .empty:
                return summary
            case .foreign:
                continue
            case .overrun:
                summary.lost = true
                continue
            case .datagram(let length):
                summary.datagrams += 1
                let malformation = withReceivedBytes(length) { datagram in
                    NetlinkParser.forEachMessage(in: datagram) { header, payload in
                        switch NeighborMessage.parse(type: header.type, payload: payload) {
                        case .message(let message):
                            summary.events += 1
                            handler(message)
                        case .ignored: summary.ignored += 1
                        case .malformed: summary.malformed += 1
                        }
                    }
                }
                if malformation != nil { summary.malformed += 1 }
            }
        }
        summary.more = true
        return summary
    }
}
