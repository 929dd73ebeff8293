import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Testing

/// What systemd sees of the real daemon, through a `NOTIFY_SOCKET` the test owns and
/// `systemd-socket-activate` from Debian's systemd package.
@Suite(.serialized, .lab)
struct SystemdLabTests {
    typealias A = Lab.Addresses

    @Test func readyComesOnlyOnceClientsCanConnect() async throws {
        let lab = try Lab.required
        let daemon = try await ProbedProcess(in: lab.dut, configuration: labPolicy)
        // READY=1 has arrived (the helper waited for it): a client must be served right now.
        let info = try daemon.client().ask(#"{"op":"info"}"#)
        #expect(info["ok"]?.boolValue == true)
        let ready = daemon.notifications.drain().first { $0.fields["READY"] == "1" }
        #expect(ready?.fields["STATUS"]?.contains("checks") == true, "READY carries a status line: \(String(describing: ready))")
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func watchdogPingsAtHalfTheInterval() async throws {
        let lab = try Lab.required
        let daemon = try await ProbedProcess(in: lab.dut, configuration: labPolicy, environment: ["WATCHDOG_USEC": "400000"])
        var pings: [ContinuousClock.Instant] = []
        for _ in 0..<8 { pings.append(try daemon.notifications.next("WATCHDOG", value: "1", timeout: .seconds(2)).receivedAt) }
        let gaps = zip(pings.dropFirst(), pings).map { milliseconds($0 - $1) }
        // Half of 400 ms is 200 ms: never as late as the 400 ms systemd would act on.
        #expect(gaps.allSatisfy { $0 >= 150 && $0 <= 320 }, "gaps between pings: \(gaps) ms")
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func reloadIsAnnouncedAndApplied() async throws {
        let lab = try Lab.required
        let daemon = try await ProbedProcess(in: lab.dut, configuration: labPolicy)
        let client = try daemon.client()
        #expect(try client.ask(checkLine(A.live4[0])).state == "in_use")
        #expect(try client.ask(checkLine(A.sink4)).state == "free")
        // The new policy no longer allows the live hosts' /24 (except what the sink prefix covers).
        try daemon.writeConfiguration(labPolicy.replacingOccurrences(of: "198.51.100.0/24, ", with: "") + "\nprobe:\n  timeout_ms: 250\n")
        daemon.signal(SIGHUP)
        let reloading = try daemon.notifications.next("RELOADING", value: "1")
        #expect(UInt64(reloading.fields["MONOTONIC_USEC"] ?? "") != nil, "RELOADING=1 carries MONOTONIC_USEC: \(reloading.text)")
        let ready = try daemon.notifications.next("READY", value: "1")
        #expect(ready.receivedAt >= reloading.receivedAt)
        // The same connection keeps working, under the new policy; the cache survived.
        #expect(try client.ask(checkLine(A.live4[0])).errorCode == "not_allowed")
        #expect(try client.ask(checkLine(A.sink4)).isCached == true)
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func aBrokenFileOnReloadKeepsTheRunningConfiguration() async throws {
        let lab = try Lab.required
        let daemon = try await ProbedProcess(in: lab.dut, configuration: labPolicy)
        let client = try daemon.client()
        try daemon.writeConfiguration(labPolicy + "\nprobe:\n  timeout_ms: zero\n")
        daemon.signal(SIGHUP)
        _ = try daemon.notifications.next("RELOADING", value: "1")
        let ready = try daemon.notifications.next("READY", value: "1")
        #expect(ready.fields["STATUS"]?.contains("reload failed") == true, "\(ready.text)")
        #expect(ready.fields["STATUS"]?.contains("probe.timeout_ms") == true, "\(ready.text)")
        #expect(try client.ask(checkLine(A.live4[1])).state == "in_use")
        #expect(try await daemon.stop() == .exited(0))
    }

    @Test func sigtermSaysStoppingThenExitsZero() async throws {
        let lab = try Lab.required
        let daemon = try await ProbedProcess(in: lab.dut, configuration: labPolicy)
        daemon.signal(SIGTERM)
        _ = try daemon.notifications.next("STOPPING", value: "1")
        #expect(try await daemon.process.waitForExit() == .exited(0))
    }

    @Test func socketActivationServesTheInheritedSocketAndLeavesIt() async throws {
        let lab = try Lab.required
        let directory = "/tmp/probed-activation-\(getpid())"
        mkdir(directory, 0o755)
        defer { _ = try? lab.run(nil, ["rm", "-rf", directory]) }
        let path = "\(directory)/probed.sock"
        let configuration = "\(directory)/probed.yaml"
        try labPolicy.write(toFile: configuration, atomically: true, encoding: .utf8)
        let notifications = try NotifySocket()
        let command = [
            "systemd-socket-activate", "-l", path, "-E", "NOTIFY_SOCKET=\(notifications.path)",
            try Lab.probedBinary.path, "--config", configuration,
        ]
        // systemd-socket-activate reports on stderr where it listens: fold it into stdout.
        let activator = try LabProcess.start(lab.dut, ["sh", "-c", #"exec "$0" "$@" 2>&1"#] + command)
        _ = try await activator.waitForLine(containing: "Listening on")
        let client = try DaemonClient(path: path)
        let answer = try client.ask(checkLine(A.live4[0]))
        #expect(answer.state == "in_use")
        _ = try notifications.next("READY", value: "1")
        activator.terminate()
        #expect(try await activator.waitForExit() == .exited(0))
        var status = stat()
        #expect(lstat(path, &status) == 0, "the inherited socket's path survives the daemon")
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
    }

    /// A start that cannot succeed (here an invalid file) under socket activation: exit 78, and the
    /// client already waiting gets the reason as an `unavailable` line instead of hanging (which
    /// would make systemd start the service again and again for it).
    @Test func aBrokenConfigurationExits78AndAnswersTheWaitingClient() async throws {
        let lab = try Lab.required
        let directory = "/tmp/probed-broken-\(getpid())"
        mkdir(directory, 0o755)
        defer { _ = try? lab.run(nil, ["rm", "-rf", directory]) }
        let path = "\(directory)/probed.sock"
        let configuration = "\(directory)/probed.yaml"
        try (labPolicy + "\nprobe:\n  timeout_ms: zero\n").write(toFile: configuration, atomically: true, encoding: .utf8)
        let notifications = try NotifySocket()
        let command = [
            "systemd-socket-activate", "-l", path, "-E", "NOTIFY_SOCKET=\(notifications.path)", "-E", "JOURNAL_STREAM=8:1",
            try Lab.probedBinary.path, "--config", configuration,
        ]
        let activator = try LabProcess.start(lab.dut, ["sh", "-c", #"exec "$0" "$@" 2>&1"#] + command)
        _ = try await activator.waitForLine(containing: "Listening on")
        let client = try DaemonClient(path: path)
        let refusal = try #require(try client.readJSON(timeout: .seconds(10)), "no answer: \(activator.lines)")
        #expect(refusal["id"] == .null)
        #expect(refusal["error"]?["code"]?.stringValue == "unavailable", "\(refusal)")
        let message = refusal["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("probe.timeout_ms") && message.contains("exit status 78"), "\(message)")
        #expect(try client.isClosedByPeer())
        // systemd-socket-activate execs the daemon: its exit status is the daemon's.
        #expect(try await activator.waitForExit() == .exited(78))
        // The journal line is critical (priority 2) and says what to do.
        #expect(activator.lines.contains { $0.hasPrefix("<2>probed cannot run: invalid configuration:") && $0.contains("--check-config") }, "\(activator.lines)")
        let status = notifications.drain().compactMap { $0.fields["STATUS"] }
        #expect(status.contains { $0.hasPrefix("failed (exit 78): invalid configuration:") }, "STATUS=: \(status)")
    }

    @Test func journalPrioritiesWhenJournalStreamIsSet() async throws {
        let lab = try Lab.required
        let journal = try await ProbedProcess(in: lab.dut, configuration: labPolicy, environment: ["JOURNAL_STREAM": "8:12345"])
        #expect(try await journal.stop() == .exited(0))
        let lines = journal.process.errorOutput.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasPrefix("<") && $0.dropFirst(2).hasPrefix(">") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("<6>listening") })

        let plain = try await ProbedProcess(in: lab.dut, configuration: labPolicy)
        #expect(try await plain.stop() == .exited(0))
        #expect(plain.process.errorOutput.split(separator: "\n").allSatisfy { !$0.hasPrefix("<") })
        #expect(plain.process.errorOutput.contains("info listening"))
    }
}
