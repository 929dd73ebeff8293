import Foundation
import Glibc

extension Lab {
    /// The tools the lab needs, with the Debian package that brings each.
    static let requiredTools: [(name: String, package: String)] = [
        ("ip", "iproute2"), ("nft", "nftables"), ("nsenter", "util-linux"), ("flock", "util-linux"),
        ("sysctl", "procps"), ("bash", "bash"), ("python3", "python3"),
    ]

    /// Whether the lab can run here, and if not, why: it needs root (effective uid 0), the tools
    /// of ``requiredTools``, `/run/netns` support and the scripts in ``scriptsDirectory``.
    /// Worked out once.
    public static var availability: (canRun: Bool, reason: String) { availabilityResult }

    /// Whether `PROBED_REQUIRE_LAB=1` is set (as CI does): then lab tests must not skip, and fail
    /// with ``availability``'s reason when the lab cannot run.
    public static var isRequired: Bool {
        ProcessInfo.processInfo.environment["PROBED_REQUIRE_LAB"] == "1"
    }

    /// Whether lab tests are to run: the lab can run, or it is required (and setting it up then
    /// fails with the reason). The condition of ``LabTrait`` and of `.labAvailable`.
    public static var shouldRun: Bool { availability.canRun || isRequired }

    /// The comment of a skipped lab test: why, and how to make it a failure instead.
    static var skipReason: String {
        "\(availability.reason) (PROBED_REQUIRE_LAB=1 makes this a failure instead of a skip)"
    }

    private static let availabilityResult: (canRun: Bool, reason: String) = {
        let euid = geteuid()
        guard euid == 0 else {
            return (false, "the network-namespace lab needs root (effective uid is \(euid))")
        }
        let path = ChildProcess.environment()["PATH"] ?? ChildProcess.searchPath
        let missing = requiredTools.filter { ChildProcess.resolve($0.name, path: path) == nil }
        guard missing.isEmpty else {
            let list = missing.map { "\($0.name) (Debian package \($0.package))" }.joined(separator: ", ")
            return (false, "the network-namespace lab needs tools that are missing: \(list)")
        }
        guard access("/proc/thread-self/ns/net", F_OK) == 0 else {
            return (false, "the kernel has no network namespaces (/proc/thread-self/ns/net is missing)")
        }
        guard access(labScript.path, R_OK) == 0 else {
            return (false, "the lab script is missing at \(labScript.path)")
        }
        return (true, "the network-namespace lab can run (root, tools present)")
    }()
}
