import Foundation
import Glibc
import LabSupport
import Testing

/// A Debian root booted with systemd as PID 1 under `systemd-nspawn`, through
/// `Tests/Deploy/nspawn.sh`: a copy of a cached debootstrap root, with a private network (loopback
/// only), removed by ``down()``.
struct DeployContainer {
    /// `Tests/Deploy/nspawn.sh`.
    static let script = Lab.root.appendingPathComponent("Tests/Deploy/nspawn.sh").path

    /// The Debian releases the deployment is tested on.
    static let releases = ["bookworm", "trixie"]

    let release: String
    /// The machine name, unique to this process.
    let name: String
    /// The pid of the container's init (systemd), in this host's pid namespace.
    let initPID: String

    /// The tools the container needs on this host, with their Debian packages.
    static let requiredTools: [(name: String, package: String)] = [
        ("systemd-nspawn", "systemd-container"), ("debootstrap", "debootstrap"), ("nsenter", "util-linux"),
        ("dpkg-deb", "dpkg"), ("flock", "util-linux"), ("ldd", "libc-bin"),
    ]

    /// Whether the containers can run here, and if not, why.
    static let availability: (canRun: Bool, reason: String) = {
        guard geteuid() == 0 else { return (false, "the deployment tests boot containers and need root") }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        let missing = requiredTools.filter { tool in
            !directories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool.name)") }
        }
        guard missing.isEmpty else {
            let list = missing.map { "\($0.name) (Debian package \($0.package))" }.joined(separator: ", ")
            return (
                false, "the deployment tests need tools that are missing (scripts/install-deps installs them): \(list)"
            )
        }
        return (true, "root, tools present")
    }()

    /// Makes sure the cached roots of every release exist (debootstrap, once per machine; the
    /// releases in parallel). Returns the output of `nspawn.sh root`.
    static func prepareRoots() throws -> String {
        let script =
            #"pids=""; for r in "$@"; do "$0" root "$r" & pids="$pids $!"; done; status=0; for p in $pids; do wait "$p" || status=1; done; exit $status"#
        return try Lab.runChecked(nil, ["bash", "-c", script, Self.script] + releases, timeout: .seconds(900))
    }

    /// Boots a copy of the cached root of `release`, with the Swift runtime directory at
    /// `swiftRuntime` (if any) bound read-only into it.
    static func boot(_ release: String, swiftRuntime: String?) throws -> DeployContainer {
        let name = "probed-\(release)-\(getpid())"
        var command = ["env"]
        if let swiftRuntime { command.append("PROBED_SWIFT_RUNTIME=\(swiftRuntime)") }
        command += [script, "boot", release, name]
        let output = try Lab.runChecked(nil, command, timeout: .seconds(900))
        guard let pid = output.split(separator: "\n").last.map(String.init), Int(pid) != nil else {
            throw LabError(.commandFailed, "nspawn.sh boot \(release) printed no pid: \(output)")
        }
        return DeployContainer(release: release, name: name, initPID: pid)
    }

    /// Stops the container and removes its copy.
    func down() {
        _ = try? Lab.run(nil, [Self.script, "down", name], timeout: .seconds(60))
    }

    /// Runs a command inside (as root, clean environment) and returns its status and output.
    func run(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> (status: Int32, output: String) {
        try Lab.run(nil, [Self.script, "exec", initPID] + arguments, timeout: timeout)
    }

    /// Runs a shell script inside with `sh -c`.
    func sh(_ script: String, timeout: Duration = .seconds(60)) throws -> (status: Int32, output: String) {
        try run(["sh", "-c", script], timeout: timeout)
    }

    /// Runs a shell script inside and returns its output, throwing when it fails.
    @discardableResult
    func shChecked(_ script: String, timeout: Duration = .seconds(60)) throws -> String {
        let (status, output) = try sh(script, timeout: timeout)
        guard status == 0 else {
            throw LabError(.commandFailed, "[\(release)] \(script) exited with \(status): \(output)")
        }
        return output
    }

    /// Copies a file of this host into the container.
    func copy(_ file: String, to destination: String) throws {
        try Lab.runChecked(nil, [Self.script, "copy", name, file, destination])
    }

    /// Writes `text` to `path` inside the container.
    func write(_ text: String, to path: String) throws {
        let local = FileManager.default.temporaryDirectory.appendingPathComponent(
            "probed-deploy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        )
        try text.write(to: local, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: local) }
        try copy(local.path, to: path)
    }

    /// `systemctl show UNIT -p PROPERTY` (the value only).
    func property(_ unit: String, _ name: String) throws -> String {
        try shChecked("systemctl show \(unit) -p \(name) --value").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls `condition` every 100 ms until it holds or `deadline` passes; returns whether it held.
    func eventually(within deadline: Duration = .seconds(10), _ condition: () throws -> Bool) throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        while clock.now < end {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }
}
