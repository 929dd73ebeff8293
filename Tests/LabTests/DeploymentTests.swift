import Foundation
import Glibc
import LabSupport
import Testing

/// The Debian package under a real systemd, as an operator meets it: Debian 12 (bookworm) and 13
/// (trixie) roots booted with `systemd-nspawn --boot --private-network`, then `apt install
/// ./probed.deb` and nothing else (docs/operations.md, "Deployment tests").
///
/// The package holds the binaries of the current build (``Lab/binDirectory``, a debug build, or
/// `PROBED_DEPLOY_BIN_DIR`, for instance a release build). A debug build links the Swift runtime
/// from the toolchain, so the toolchain's runtime directory is bound read-only into the container
/// at the same path; a release build (`--static-swift-stdlib`) needs nothing. The cached roots are
/// made once per machine by `Tests/Deploy/nspawn.sh` (debootstrap, about 3 minutes each, both at
/// once); every test boots a fresh copy.
///
/// Needs root and systemd-nspawn, debootstrap (scripts/install-deps); skipped with the reason
/// elsewhere, unless `PROBED_REQUIRE_LAB=1`, where it fails instead, as it does when a container
/// cannot boot.
@Suite("Deployment", .serialized, .deploymentAvailable)
struct DeploymentTests {
    /// The package built once for the suite, and the Swift runtime directory its binaries need.
    struct Package: Sendable {
        let deb: String
        let swiftRuntime: String?
    }

    static let package: Result<Package, LabError> = {
        do {
            let environment = ProcessInfo.processInfo.environment
            let binaries =
                try environment["PROBED_DEPLOY_BIN_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? Lab.binDirectory.path
            // One directory per checkout, emptied by each run: no package is left behind per run.
            let checkout = Lab.root.path.map { $0.isLetter || $0.isNumber ? $0 : "-" }
            let work = "/tmp/probed-deploy\(String(checkout))"
            try? FileManager.default.removeItem(atPath: work)
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let script = Lab.root.appendingPathComponent("packaging/build-deb.sh").path
            let built = try Lab.runChecked(
                nil,
                [script, "--bin-dir", binaries, "--out", work, "--compression", "gzip"],
                timeout: .seconds(600)
            )
            guard let deb = built.split(separator: "\n").last.map(String.init), deb.hasSuffix(".deb") else {
                return .failure(LabError(.commandFailed, "build-deb.sh printed no package: \(built)"))
            }
            let runtime = try Lab.runChecked(
                nil,
                ["sh", "-c", #"ldd "$1" | awk '/libswiftCore/ { print $3 }'"#, "sh", "\(binaries)/probed"]
            )
            .trimmingCharacters(in: .whitespacesAndNewlines)
            return .success(
                Package(deb: deb, swiftRuntime: runtime.isEmpty ? nil : (runtime as NSString).deletingLastPathComponent)
            )
        } catch let error as LabError {
            return .failure(error)
        } catch {
            return .failure(LabError(.commandFailed, "building the package: \(error)"))
        }
    }()

    /// The configuration the tests write: the package's file is all comments (built-in defaults).
    static let configuration = "/etc/probed/probed.yaml"

    @Test(
        "apt install answers at once; activation, reload, stop, access, journal, a broken start, purge",
        arguments: DeployContainer.releases
    )
    func plainInstall(release: String) throws {
        try #require(DeployContainer.availability.canRun, Comment(rawValue: DeployContainer.availability.reason))
        let package = try Self.package.get()
        _ = try DeployContainer.prepareRoots()
        let started = ContinuousClock.now
        let box = try DeployContainer.boot(release, swiftRuntime: package.swiftRuntime)
        defer { box.down() }
        try box.copy(package.deb, to: "/root/probed.deb")

        try installAndFirstCheck(box)
        try socketActivationAndReload(box)
        try accessByGroup(box)
        try journalPriorities(box)
        try brokenConfigurationStopsAfterOneTry(box)
        try purgeIsClean(box)
        print("deployment[\(release)]: booted, tested and purged in \(ContinuousClock.now - started)")
    }

    // MARK: Steps

    /// A plain `apt install` (offline: the root holds the Depends) starts the socket only, and the
    /// first `probectl check` starts the daemon and is answered for IPv4 and IPv6.
    func installAndFirstCheck(_ box: DeployContainer) throws {
        let install = try box.sh(
            "DEBIAN_FRONTEND=noninteractive apt-get install -y /root/probed.deb",
            timeout: .seconds(300)
        )
        try #require(install.status == 0, "[\(box.release)] apt install: \(install.output)")
        #expect(
            try box.property("probed.socket", "ActiveState") == "active",
            "[\(box.release)] the socket listens after install"
        )
        #expect(
            try box.property("probed.service", "ActiveState") == "inactive",
            "[\(box.release)] the service waits for a client"
        )

        let clock = ContinuousClock()
        let before = clock.now
        let first = try box.run(["probectl", "check", "127.0.0.1", "::1"], timeout: .seconds(30))
        let took = clock.now - before
        print(
            "deployment[\(box.release)]: first `probectl check 127.0.0.1 ::1` after apt install (\(took)), exit \(first.status):\n\(first.output)"
        )
        #expect(first.status == 1, "[\(box.release)] both loopback addresses are in use: \(first.output)")
        let lines = first.output.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
        #expect(
            lines.contains { $0.starts(with: ["127.0.0.1", "in_use", "echo_reply"]) },
            "[\(box.release)] \(first.output)"
        )
        #expect(
            lines.contains { $0.starts(with: ["::1", "in_use", "echo_reply"]) },
            "[\(box.release)] \(first.output)"
        )
        #expect(took < .seconds(10), "[\(box.release)] the first check took \(took)")
        #expect(try box.property("probed.service", "ActiveState") == "active")
        #expect(try box.property("probed.service", "NRestarts") == "0")
        #expect(try box.property("probed.service", "StatusText").hasPrefix("serving:"))
        // Debian's ping_group_range ("1 0") refuses ping sockets: the unit's CAP_NET_RAW gives raw ones.
        let info = try box.run(["probectl", "--json", "info"])
        #expect(
            info.output.contains(#""ipv4":"raw""#) && info.output.contains(#""ipv6":"raw""#),
            "[\(box.release)] \(info.output)"
        )
        try box.shChecked("cp \(Self.configuration) /root/probed.yaml.packaged")
        // The installed unit, as systemd on this release rates it.
        let security = try box.sh("systemd-analyze security --no-pager probed.service").output
        let overall =
            security.split(separator: "\n").last { $0.contains("Overall exposure level for probed.service:") }.map(
                String.init
            ) ?? ""
        print("deployment[\(box.release)]: \(overall)")
        // "→ Overall exposure level for probed.service: 1.7 OK :-)" (the smiley may hold a colon too).
        let rating = overall.range(of: "probed.service:").map { overall[$0.upperBound...] } ?? ""
        let exposure = Double(rating.split(separator: " ").first.map(String.init) ?? "")
        #expect(exposure.map { $0 <= 2.0 } == true, "[\(box.release)] \(overall.isEmpty ? security : overall)")
    }

    /// Reload (good: applied; bad: logged, not applied), stop, and activation again.
    func socketActivationAndReload(_ box: DeployContainer) throws {
        let pid = try box.property("probed.service", "MainPID")
        try box.write("policy:\n  allow: [127.0.0.0/8]\n", to: Self.configuration)
        try box.shChecked("systemctl reload probed.service")
        #expect(
            try box.eventually { try box.run(["probectl", "check", "::1"]).output.contains("not_allowed") },
            "[\(box.release)] the reloaded policy no longer allows ::1"
        )
        #expect(try box.run(["probectl", "check", "127.0.0.1"]).status == 1)

        try box.write("policy:\n  allow: [127.0.0.0/8]\nprobe:\n  timeout_ms: zero\n", to: Self.configuration)
        try box.shChecked("systemctl reload probed.service")
        #expect(
            try box.eventually { try box.sh("journalctl -u probed -p err -o cat").output.contains("reload failed") },
            "[\(box.release)] a failed reload is logged at priority err"
        )
        #expect(try box.property("probed.service", "ActiveState") == "active")
        #expect(try box.property("probed.service", "MainPID") == pid, "[\(box.release)] a reload keeps the process")
        #expect(
            try box.run(["probectl", "check", "::1"]).output.contains("not_allowed"),
            "the running configuration stays"
        )
        #expect(try box.run(["probectl", "check", "127.0.0.1"]).status == 1)

        try box.shChecked("cp /root/probed.yaml.packaged \(Self.configuration) && systemctl reload probed.service")
        #expect(try box.eventually { try box.run(["probectl", "check", "::1"]).status == 1 })

        // Stop: the socket keeps listening, and the next client starts the daemon again.
        try box.shChecked("systemctl stop probed.service")
        #expect(try box.property("probed.service", "ActiveState") == "inactive")
        #expect(try box.property("probed.socket", "ActiveState") == "active")
        #expect(try box.sh("test -S /run/probed/probed.sock").status == 0, "[\(box.release)] the socket file stays")
        #expect(try box.run(["probectl", "check", "127.0.0.1"]).status == 1, "[\(box.release)] activated again")
        let again = try box.property("probed.service", "MainPID")
        #expect(again != pid && again != "0", "[\(box.release)] a new process: \(pid) → \(again)")
    }

    /// Group `probed` may query and others may not; `socket.allowed_gids` admits a member by a
    /// supplementary group (SO_PEERGROUPS, under the unit's ProtectProc=invisible).
    func accessByGroup(_ box: DeployContainer) throws {
        try box.shChecked(
            "groupadd dhcp && useradd -M -G probed alice && useradd -M bob && useradd -M -G dhcp,probed kea"
        )
        let alice = try box.sh("runuser -u alice -- probectl check 127.0.0.1")
        #expect(alice.status == 1, "[\(box.release)] a member of group probed: \(alice.output)")
        let bob = try box.sh("runuser -u bob -- probectl check 127.0.0.1")
        #expect(
            bob.status == 2 && bob.output.contains("permission denied"),
            "[\(box.release)] not a member: \(bob.output)"
        )

        let dhcp = try box.shChecked("getent group dhcp | cut -d: -f3").trimmingCharacters(in: .whitespacesAndNewlines)
        try box.write("socket:\n  allowed_gids: [\(dhcp)]\n", to: Self.configuration)
        try box.shChecked("systemctl restart probed.service")
        let kea = try box.sh("runuser -u kea -- probectl check 127.0.0.1")
        #expect(kea.status == 1, "[\(box.release)] dhcp is kea's supplementary group: \(kea.output)")
        let refused = try box.sh("runuser -u alice -- probectl --json check 127.0.0.1")
        #expect(refused.status == 2, "[\(box.release)] \(refused.output)")
        #expect(
            refused.output.hasPrefix(#"{"id":null,"ok":false,"error":{"code":"not_allowed","message":"peer pid "#),
            "[\(box.release)] \(refused.output)"
        )
        #expect(try box.run(["probectl", "check", "127.0.0.1"]).status == 1, "root is always admitted")
        try box.shChecked("cp /root/probed.yaml.packaged \(Self.configuration) && systemctl restart probed.service")
    }

    /// journald files the daemon's lines at their priorities (the `<N>` prefixes are parsed).
    func journalPriorities(_ box: DeployContainer) throws {
        func lines(_ priority: String) throws -> String {
            try box.sh("journalctl -u probed -p \(priority) -o cat").output
        }
        #expect(
            try box.eventually { try lines("notice..notice").contains("connection refused") },
            "[\(box.release)] notice"
        )
        #expect(try lines("info..info").contains("listening"), "[\(box.release)] info")
        #expect(try lines("notice..notice").contains("configuration reloaded"), "[\(box.release)] notice")
        #expect(try lines("err..err").contains("reload failed"), "[\(box.release)] err")
        let all = try lines("debug")
        #expect(
            !all.split(separator: "\n").contains { $0.hasPrefix("<") },
            "[\(box.release)] a prefix was not parsed: \(all)"
        )
    }

    /// A broken configuration: exit 78 once, no restart; a client gets the reason; the README's
    /// remedy works, also after the start limit stopped the socket.
    func brokenConfigurationStopsAfterOneTry(_ box: DeployContainer) throws {
        // The steps before started the service many times within seconds; a start limit hit here
        // would be theirs (systemd's default: 5 starts in 10 s). reset-failed clears the count.
        try box.shChecked("systemctl reset-failed probed.service probed.socket")
        try box.write("probe:\n  timeout_ms: zero\n", to: Self.configuration)
        #expect(try box.sh("systemctl restart probed.service").status != 0)
        #expect(
            try box.eventually { try box.property("probed.service", "ActiveState") == "failed" },
            "[\(box.release)] failed"
        )
        #expect(try box.property("probed.service", "ExecMainStatus") == "78")
        #expect(try box.property("probed.service", "Result") == "exit-code")
        // Past RestartSec=2s: still failed, never restarted.
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: .seconds(3))
        var restarts = "0"
        while clock.now < end, restarts == "0" {
            restarts = try box.property("probed.service", "NRestarts")
            usleep(200_000)
        }
        #expect(restarts == "0", "[\(box.release)] restarted \(restarts) times")
        #expect(try box.property("probed.service", "ActiveState") == "failed")
        let critical = try box.sh("journalctl -u probed -p crit -o cat").output
        #expect(
            critical.contains("probed cannot run: invalid configuration:") && critical.contains("probe.timeout_ms"),
            "[\(box.release)] \(critical)"
        )
        #expect(
            critical.contains("systemctl reset-failed probed.service probed.socket"),
            "[\(box.release)] the log says what to do: \(critical)"
        )

        // A client starts it once and reads why; the socket keeps listening.
        let client = try box.run(["probectl", "check", "127.0.0.1"], timeout: .seconds(30))
        let journal = try box.sh("journalctl -n 12 -o short-monotonic --no-pager").output
        #expect(
            client.status == 2 && client.output.contains("unavailable: probed cannot run: invalid configuration"),
            "[\(box.release)] \(client.output)\n\(journal)"
        )
        #expect(try box.property("probed.service", "ExecMainStatus") == "78")
        // Many clients in a row may hit the service's start limit, which fails the socket too.
        for _ in 0..<6 { _ = try box.run(["probectl", "check", "127.0.0.1"], timeout: .seconds(30)) }
        let socketState = try box.property("probed.socket", "ActiveState")
        print(
            "deployment[\(box.release)]: after 7 clients against a broken configuration: probed.socket \(socketState), NRestarts \(try box.property("probed.service", "NRestarts"))"
        )

        // The README's remedy, whatever state the units are in.
        try box.shChecked("cp /root/probed.yaml.packaged \(Self.configuration)")
        try box.shChecked(
            "systemctl reset-failed probed.service probed.socket; systemctl restart probed.socket probed.service"
        )
        let fixed = try box.run(["probectl", "check", "127.0.0.1"])
        #expect(fixed.status == 1, "[\(box.release)] after the remedy (socket was \(socketState)): \(fixed.output)")
    }

    /// Purge after a failed start: no failed unit, no unit, no files of the package; the system
    /// user stays (as Debian does for system users, and postrm says).
    func purgeIsClean(_ box: DeployContainer) throws {
        try box.write("probe:\n  timeout_ms: zero\n", to: Self.configuration)
        _ = try box.sh("systemctl restart probed.service")
        #expect(try box.eventually { try box.property("probed.service", "ActiveState") == "failed" })
        let purge = try box.sh("DEBIAN_FRONTEND=noninteractive apt-get purge -y probed", timeout: .seconds(300))
        #expect(purge.status == 0, "[\(box.release)] apt purge: \(purge.output)")
        let failed = try box.sh("systemctl list-units --failed --all --no-legend --plain").output
        #expect(!failed.contains("probed"), "[\(box.release)] failed units after purge: \(failed)")
        let units = try box.sh("systemctl list-units --all --no-legend --plain 'probed*'").output
        #expect(
            units.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            "[\(box.release)] units after purge: \(units)"
        )
        let leftovers = try box.sh(
            "ls -d /etc/probed /usr/sbin/probed /usr/bin/probectl /lib/systemd/system/probed.* /usr/lib/systemd/system/probed.* "
                + "/etc/systemd/system/*/probed.* /run/probed /usr/share/doc/probed 2>/dev/null"
        ).output
        #expect(leftovers.isEmpty, "[\(box.release)] files after purge: \(leftovers)")
        #expect(try box.sh("dpkg -s probed").status != 0, "[\(box.release)] dpkg still knows probed")
        #expect(try box.sh("getent passwd probed").status == 0, "[\(box.release)] the system user stays, as documented")
    }
}

extension Trait where Self == ConditionTrait {
    /// Enables the deployment tests where containers can run (root, systemd-nspawn, debootstrap),
    /// or where `PROBED_REQUIRE_LAB=1` requires them (they then fail with the reason).
    static var deploymentAvailable: Self {
        .enabled(
            if: DeployContainer.availability.canRun || Lab.isRequired,
            Comment(
                rawValue:
                    "\(DeployContainer.availability.reason) (PROBED_REQUIRE_LAB=1 makes this a failure instead of a skip)"
            )
        )
    }
}
