import Foundation
import Glibc
import LabSupport
import Testing

/// The packaging (issue 4, items 6–8): the systemd units pass `systemd-analyze verify` and keep an
/// exposure of at most 2.0, every man page renders without a warning, and the Debian package
/// builds, installs, runs from its installed paths, and goes away again.
///
/// It needs root (dpkg installs into this machine) and the Debian tools; without them it is
/// skipped with the reason, unless `PROBED_REQUIRE_LAB=1`, where it fails instead.
///
/// The package test packs the binaries of the current build (``Lab/binDirectory``, a debug build
/// whose RUNPATH finds the Swift runtime in the toolchain), so it checks the package and not the
/// self-contained release build that `packaging/build-deb.sh` makes by default (minutes on two
/// cores). Whatever fails, it purges the package and removes the user and group that installing
/// it created, leaving the machine as it found it.
@Suite("Packaging", .serialized, .packagingAvailable)
struct PackagingTests {
    /// The highest `systemd-analyze security` exposure the hardened unit may have.
    static let maximumExposure = 2.0

    static let packaging = Lab.root.appendingPathComponent("packaging")
    static let service = packaging.appendingPathComponent("systemd/probed.service")
    static let socket = packaging.appendingPathComponent("systemd/probed.socket")
    static let pingSocketsDropIn = packaging.appendingPathComponent("systemd/probed-ping-sockets.conf")
    static let manPages = ["probed.8", "probectl.1", "probed.yaml.5"].map {
        Lab.root.appendingPathComponent("docs/man/\($0)")
    }

    @Test("systemd-analyze verify accepts the units")
    func unitsVerify() throws {
        try Self.requireAvailable()
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // verify loads the targets the units name and checks that ExecStart= and ExecReload= exist:
        // a root with the system's units, ours, and stubs of /usr/sbin/probed and /bin/sh.
        try FileManager.default.createDirectory(atPath: "\(root)/lib/systemd", withIntermediateDirectories: true)
        try Lab.runChecked(nil, ["cp", "-a", "/lib/systemd/system", "\(root)/lib/systemd/"])
        for unit in [Self.service, Self.socket] {
            try Lab.runChecked(nil, ["cp", unit.path, "\(root)/lib/systemd/system/"])
        }
        for stub in ["usr/sbin/probed", "bin/sh"] {
            try Self.writeExecutable("\(root)/\(stub)", "#!/bin/sh\nexit 0\n")
        }

        let (status, output) = try Lab.run(
            nil, ["systemd-analyze", "verify", "--man=no", "--root=\(root)", "probed.socket", "probed.service"])
        #expect(status == 0, "systemd-analyze verify: \(output)")
        // Unknown keys and bad values are only warnings, with status 0: any output is a finding.
        #expect(output.isEmpty, "systemd-analyze verify: \(output)")
    }

    @Test("systemd-analyze security rates the service at most 2.0, and the ping-socket drop-in lowers it")
    func exposure() throws {
        try Self.requireAvailable()
        let shipped = try Self.exposure(["--no-pager", Self.service.path])
        #expect(shipped <= Self.maximumExposure, "probed.service exposure \(shipped)")

        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dropIns = "\(root)/etc/systemd/system/probed.service.d"
        try FileManager.default.createDirectory(atPath: "\(root)/lib/systemd/system", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dropIns, withIntermediateDirectories: true)
        try Lab.runChecked(nil, ["cp", Self.service.path, Self.socket.path, "\(root)/lib/systemd/system/"])
        try Lab.runChecked(nil, ["cp", Self.pingSocketsDropIn.path, "\(dropIns)/"])
        let pingSocketsOnly = try Self.exposure(["--no-pager", "--root=\(root)", "probed.service"])
        // The drop-in must really apply: it takes CAP_NET_RAW and AF_PACKET away, so the score falls.
        #expect(pingSocketsOnly < shipped, "the drop-in did not lower the exposure (\(shipped) → \(pingSocketsOnly))")
        // The shipped unit grants CAP_NET_RAW and AF_PACKET (Debian's ping_group_range admits no group).
        let shippedReport = try Lab.runChecked(nil, ["systemd-analyze", "security", "--offline=true", "--no-pager", Self.service.path])
        #expect(shippedReport.contains("✗ AmbientCapabilities="), "the shipped unit must grant CAP_NET_RAW (ambient)")
        #expect(shippedReport.contains("✗ RestrictAddressFamilies=~AF_PACKET"), "the shipped unit must allow AF_PACKET")
    }

    @Test("every man page renders without a warning", arguments: PackagingTests.manPages)
    func manPageRenders(page: URL) throws {
        try Self.requireAvailable()
        let check = #"MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 "$1" 2>&1 >/dev/null"#
        let (status, warnings) = try Lab.run(nil, ["sh", "-c", check, "sh", page.path])
        #expect(status == 0, "man -l \(page.lastPathComponent) exited with \(status): \(warnings)")
        #expect(warnings.isEmpty, "\(page.lastPathComponent): \(warnings)")
        let rendered = try Lab.runChecked(nil, ["sh", "-c", #"MANWIDTH=80 man -E UTF-8 -l "$1""#, "sh", page.path])
        #expect(rendered.contains("NAME") && rendered.contains("SEE ALSO"), "\(page.lastPathComponent): \(rendered)")
    }

    @Test("the Debian package builds, installs, runs from its paths, and is removed and purged")
    func debianPackage() throws {
        try Self.requireAvailable()
        let alreadyKnown = try Self.packageKnown()
        try #require(!alreadyKnown, "a package named probed is installed here already; the test will not replace it")
        let userExisted = try Lab.run(nil, ["getent", "passwd", "probed"]).status == 0
        let groupExisted = try Lab.run(nil, ["getent", "group", "probed"]).status == 0
        let work = try Self.temporaryDirectory()
        defer { Self.restore(work: work, userExisted: userExisted, groupExisted: groupExisted) }

        // Build from the current binaries; gzip is three times faster than the default xz.
        let binaries = try Lab.binDirectory.path
        let script = Self.packaging.appendingPathComponent("build-deb.sh").path
        let built = try Lab.runChecked(
            nil, [script, "--bin-dir", binaries, "--out", work, "--compression", "gzip"], timeout: .seconds(600))
        let deb = try #require(built.split(separator: "\n").last.map(String.init), "build-deb.sh printed nothing")
        #expect(deb.hasPrefix("\(work)/probed_") && deb.hasSuffix(".deb"), "build-deb.sh: \(built)")
        let contents = try Lab.runChecked(nil, ["dpkg-deb", "--contents", deb])
        for path in Self.packagedFiles {
            #expect(contents.contains(".\(path)\n"), "\(path) is not in the package")
        }
        #expect(!contents.contains("sysctl.d/"), "the ping_group_range example must not be installed as active")
        let depends = try Lab.runChecked(nil, ["dpkg-deb", "--field", deb, "Depends"])
        #expect(depends.contains("libc6") && depends.contains("libsystemd0"), "Depends: \(depends)")
        let conffiles = try Lab.runChecked(nil, ["dpkg-deb", "--info", deb, "conffiles"])
        #expect(conffiles.trimmingCharacters(in: .whitespacesAndNewlines) == "/etc/probed/probed.yaml")

        // Install.
        try Lab.runChecked(nil, ["dpkg", "-i", deb], timeout: .seconds(300))
        for path in Self.packagedFiles {
            #expect(FileManager.default.fileExists(atPath: path), "\(path) is not installed")
        }
        #expect(try Lab.run(nil, ["getent", "passwd", "probed"]).status == 0, "the user probed was not created")
        let check = try Lab.run(nil, ["/usr/sbin/probed", "--check-config"])
        #expect(check.status == 0, "probed --check-config: \(check.output)")
        #expect(check.output.contains("/etc/probed/probed.yaml: configuration is valid"), "\(check.output)")
        // With --config the file must exist: proves that the conffile is there and valid.
        let explicit = try Lab.run(nil, ["/usr/sbin/probed", "--check-config", "--config", "/etc/probed/probed.yaml"])
        #expect(explicit.status == 0, "probed --check-config --config /etc/probed/probed.yaml: \(explicit.output)")
        let help = try Lab.run(nil, ["/usr/bin/probectl", "--help"])
        #expect(help.status == 0 && help.output.contains("USAGE: probectl"), "probectl --help: \(help.output)")
        // The installed units, now with the real binary and the man pages they name.
        let verify = try Lab.run(nil, ["systemd-analyze", "verify", "probed.socket", "probed.service"])
        #expect(verify.status == 0 && verify.output.isEmpty, "systemd-analyze verify (installed): \(verify.output)")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/deb-systemd-helper") {
            for link in Self.enablementLinks {
                #expect(Self.linkExists(link), "\(link) was not created (the units are not enabled)")
            }
        }

        // Remove: the binaries go, the conffile stays.
        try Lab.runChecked(nil, ["dpkg", "-r", "probed"], timeout: .seconds(300))
        for path in ["/usr/sbin/probed", "/usr/bin/probectl", "/lib/systemd/system/probed.service"] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) is still there after dpkg -r")
        }
        #expect(FileManager.default.fileExists(atPath: "/etc/probed/probed.yaml"), "dpkg -r removed the conffile")
        #expect(try Self.packageStatus() == "deinstall ok config-files")

        // Purge: the conffile and the enablement go too.
        try Lab.runChecked(nil, ["dpkg", "--purge", "probed"], timeout: .seconds(300))
        #expect(!FileManager.default.fileExists(atPath: "/etc/probed"), "/etc/probed is still there after purge")
        for link in Self.enablementLinks + ["/etc/systemd/system/probed.service", "/etc/systemd/system/probed.socket"] {
            #expect(!Self.linkExists(link), "\(link) is still there after purge")
        }
        #expect(try !Self.packageKnown())
    }
}

// MARK: - Helpers

extension Trait where Self == ConditionTrait {
    /// Enables the packaging tests where they can run (root, the Debian tools), or where
    /// `PROBED_REQUIRE_LAB=1` requires them; see ``PackagingTests/availability``.
    static var packagingAvailable: Self {
        .enabled(if: PackagingTests.shouldRun, PackagingTests.skipComment)
    }
}

extension PackagingTests {
    /// What the package installs (a selection that covers every kind of file).
    static let packagedFiles = [
        "/usr/sbin/probed",
        "/usr/bin/probectl",
        "/lib/systemd/system/probed.service",
        "/lib/systemd/system/probed.socket",
        "/usr/lib/sysusers.d/probed.conf",
        "/etc/probed/probed.yaml",
        "/usr/share/man/man8/probed.8.gz",
        "/usr/share/man/man1/probectl.1.gz",
        "/usr/share/man/man5/probed.yaml.5.gz",
        "/usr/share/doc/probed/copyright",
        "/usr/share/doc/probed/examples/60-probed.conf",
        "/usr/share/doc/probed/examples/README",
        "/usr/share/doc/probed/examples/probed-ping-sockets.conf",
    ]

    /// The symlinks by which `deb-systemd-helper enable` enables the units.
    static let enablementLinks = [
        "/etc/systemd/system/sockets.target.wants/probed.socket",
        "/etc/systemd/system/multi-user.target.wants/probed.service",
    ]

    /// The tools the tests run, with the Debian package of each.
    static let requiredTools: [(name: String, package: String)] = [
        ("dpkg", "dpkg"), ("dpkg-deb", "dpkg"), ("dpkg-query", "dpkg"), ("systemd-analyze", "systemd"),
        ("man", "man-db"), ("gzip", "gzip"), ("bash", "bash"), ("getent", "libc-bin"),
        ("userdel", "passwd"), ("groupdel", "passwd"),
    ]

    /// Whether the tests can run here, and if not, why: root and ``requiredTools``.
    static let availability: (canRun: Bool, reason: String) = {
        let euid = geteuid()
        guard euid == 0 else {
            return (false, "the packaging tests install a Debian package and need root (effective uid is \(euid))")
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = (path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
        let missing = requiredTools.filter { tool in
            !directories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool.name)") }
        }
        guard missing.isEmpty else {
            let list = missing.map { "\($0.name) (Debian package \($0.package))" }.joined(separator: ", ")
            return (false, "the packaging tests need tools that are missing: \(list)")
        }
        return (true, "root, tools present")
    }()

    /// The suite's condition: it can run, or `PROBED_REQUIRE_LAB=1` requires it.
    static var shouldRun: Bool { availability.canRun || Lab.isRequired }

    static var skipComment: Comment {
        Comment(rawValue: "\(availability.reason) (PROBED_REQUIRE_LAB=1 makes this a failure instead of a skip)")
    }

    /// Fails the test with the reason when it runs (because required) where it cannot.
    static func requireAvailable() throws {
        try #require(availability.canRun, Comment(rawValue: availability.reason))
    }

    /// The overall exposure `systemd-analyze security --offline=true` reports for `arguments`.
    static func exposure(_ arguments: [String]) throws -> Double {
        let output = try Lab.runChecked(nil, ["systemd-analyze", "security", "--offline=true"] + arguments)
        // "→ Overall exposure level for probed.service: 1.4 OK 🙂"
        let line = try #require(
            output.split(separator: "\n").last { $0.contains("Overall exposure level for probed.service:") },
            "no overall exposure in: \(output)"
        )
        let number = line.split(separator: ":").last?.split(separator: " ").first.map(String.init) ?? ""
        return try #require(Double(number), "cannot read the exposure in: \(line)")
    }

    /// `dpkg-query`'s status of the package, or `nil` when dpkg knows nothing of it.
    static func packageStatus() throws -> String? {
        let (status, output) = try Lab.run(nil, ["dpkg-query", "--show", "--showformat=${Status}", "probed"])
        guard status == 0 else { return nil }
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.hasSuffix("not-installed") ? nil : text
    }

    /// Whether dpkg holds the package in any state (installed, or its conffiles left).
    static func packageKnown() throws -> Bool { try packageStatus() != nil }

    /// Whether `path` exists as a symbolic link (dangling or not).
    static func linkExists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// Purges the package if dpkg still knows it, removes the user and group when installing
    /// created them, and removes `work`. Runs whether the test passed or not.
    static func restore(work: String, userExisted: Bool, groupExisted: Bool) {
        if (try? packageKnown()) != false {
            _ = try? Lab.run(nil, ["dpkg", "--purge", "probed"], timeout: .seconds(300))
        }
        if !userExisted, (try? Lab.run(nil, ["getent", "passwd", "probed"]).status) == 0 {
            _ = try? Lab.run(nil, ["userdel", "probed"])
        }
        if !groupExisted, (try? Lab.run(nil, ["getent", "group", "probed"]).status) == 0 {
            _ = try? Lab.run(nil, ["groupdel", "probed"])
        }
        try? FileManager.default.removeItem(atPath: work)
    }

    /// A new empty directory under the temporary directory.
    static func temporaryDirectory() throws -> String {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/probed-packaging.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw LabError(.commandFailed, "mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// Writes an executable file, creating its directory.
    static func writeExecutable(_ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        guard chmod(path, 0o755) == 0 else {
            throw LabError(.commandFailed, "chmod \(path): \(String(cString: strerror(errno)))")
        }
    }
}
