import Foundation
import Glibc
import LabSupport

/// busybox's udhcpc in the lab's dutraw namespace (on the same link as Kea), from the Kea root.
enum Udhcpc {
    struct Outcome {
        /// The address leased, or nil.
        var address: String?
        var output: String
        /// How long udhcpc ran.
        var duration: Duration
    }

    /// Runs udhcpc until it holds a lease (or gives up after `tries` DISCOVERs, one a second).
    static func lease(_ lab: Lab, root: String, tries: Int = 5) throws -> Outcome {
        let start = ContinuousClock.now
        let (_, output) = try lab.run(
            lab.dutRaw,
            ["chroot", root, "busybox", "udhcpc", "-i", "veth0", "-f", "-q", "-n", "-t", "\(tries)", "-T", "1",
             "-s", "/bin/true"],
            timeout: .seconds(tries * 2 + 10))
        let address = output.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "lease of ") else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }.first
        return Outcome(address: address, output: output, duration: ContinuousClock.now - start)
    }
}

/// ISC's dhclient in the dutraw namespace, from the Kea root; it configures nothing (its script
/// is /bin/true) and leaves after one lease.
enum Dhclient {
    /// Runs dhclient until it is bound (it then goes to the background, and is ended here).
    static func lease(_ lab: Lab, root: String) throws -> (address: String?, output: String) {
        let pidFile = "/tmp/dhclient-lab-\(getpid()).pid"
        defer {
            if let text = try? String(contentsOfFile: root + pidFile, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
            {
                kill(pid, SIGTERM)
            }
            unlink(root + pidFile)
            unlink(root + "/tmp/dhclient-lab.leases")
        }
        let (_, output) = try lab.run(
            lab.dutRaw,
            ["chroot", root, "dhclient", "-4", "-1", "-v", "-sf", "/bin/true", "-lf", "/tmp/dhclient-lab.leases",
             "-pf", pidFile, "veth0"],
            timeout: .seconds(30))
        let address = output.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "bound to ") else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }.first
        return (address, output)
    }
}

/// Kea's perfdhcp in the dutraw namespace (198.51.100.2, which it uses as relay address).
enum Perfdhcp {
    struct Exchange {
        var sent = 0
        var received = 0
        /// Delays (ms) of the exchanges that completed, from perfdhcp's timestamps.
        var delays: [Double] = []
    }

    struct Report {
        var rate: Double = 0
        var exchanges: [String: Exchange] = [:]
        var output: String = ""
        var discoverOffer: Exchange { exchanges["DISCOVER-OFFER"] ?? Exchange() }
        var requestAck: Exchange { exchanges["REQUEST-ACK"] ?? Exchange() }
    }

    /// Runs perfdhcp with `arguments` (after `-4 -l veth0`); `-x t` is added for timestamps.
    ///
    /// perfdhcp ends early once it has as many answers as the (first plus second) `-n` counts:
    /// for 4-way exchanges give `-n N -n N`, or it stops when OFFERs and ACKs together make N.
    static func run(_ lab: Lab, root: String, _ arguments: [String], timeout: Duration = .seconds(60)) throws -> Report {
        let (status, output) = try lab.run(
            lab.dutRaw, ["chroot", root, "perfdhcp", "-4", "-l", "veth0", "-x", "t"] + arguments, timeout: timeout)
        guard status == 0 || status == 3 else {  // 3: some packets dropped
            throw LabError(.commandFailed, "perfdhcp exited with \(status): \(output)")
        }
        return parse(output)
    }

    static func parse(_ output: String) -> Report {
        var report = Report(output: output)
        var section: (kind: String, name: String)?
        for line in output.split(separator: "\n").map(String.init) {
            if line.hasPrefix("***Statistics for: ") {
                section = ("stats", String(line.dropFirst(19).dropLast(3)))
            } else if line.hasPrefix("***Timestamps for packets: ") {
                section = ("times", String(line.dropFirst(27).dropLast(3)))
            } else if line.hasPrefix("***") {
                section = nil
            } else if line.hasPrefix("Rate: "), let value = Double(line.dropFirst(6).split(separator: " ").first ?? "") {
                report.rate = value
            } else if let section {
                var exchange = report.exchanges[section.name] ?? Exchange()
                if section.kind == "stats", line.hasPrefix("sent packets: ") {
                    exchange.sent = Int(line.dropFirst(14)) ?? 0
                } else if section.kind == "stats", line.hasPrefix("received packets: ") {
                    exchange.received = Int(line.dropFirst(18)) ?? 0
                } else if section.kind == "times", line.hasPrefix("sent / received: ") {
                    let parts = line.dropFirst(17).split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }
                    if parts.count == 2, let sent = Double(parts[0]), let received = Double(parts[1]) {
                        exchange.delays.append((received - sent) * 1000)
                    }
                }
                report.exchanges[section.name] = exchange
            }
        }
        return report
    }
}

/// The `fraction` quantile (0...1) of `values` (nearest rank); 0 for none.
func quantile(_ values: [Double], _ fraction: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
