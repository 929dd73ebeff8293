import Foundation
import Glibc
import LabSupport
import Testing

/// The probed-kea-hook Debian package, built in the trixie root.
@Suite(.serialized, .lab)
struct KeaPackageTests {
    @Test func debDependsOnTheKeaItWasBuiltAgainstAndInstalls() throws {
        let lab = try Lab.required
        let root = try KeaRoot.path()
        let out = "/tmp/probed-kea-deb-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let script = Lab.root.appendingPathComponent("integrations/kea/build-deb").path
        let deb = try lab.runChecked(nil, ["bash", script, "--out", out], timeout: .seconds(300))
            .split(separator: "\n").last.map(String.init) ?? ""
        #expect(deb.hasSuffix("_amd64.deb") || deb.hasSuffix("_arm64.deb"), "\(deb)")
        let kea = try lab.runChecked(nil, ["chroot", root, "dpkg-query", "-W", "-f", "${Version}", "kea-dhcp4-server"])
        let fields = try lab.runChecked(nil, ["dpkg-deb", "-f", deb, "Package", "Depends"])
        #expect(fields.contains("Package: probed-kea-hook"))
        #expect(fields.contains("kea-dhcp4-server (= \(kea))"), "\(fields)")
        let contents = try lab.runChecked(nil, ["dpkg-deb", "-c", deb])
        #expect(contents.contains("/kea/hooks/libdhcp_probed.so"))
        // It installs next to that Kea (and is removed again; lab-root reinstalls the hook it builds).
        let inRoot = "/tmp/" + (deb.split(separator: "/").last.map(String.init) ?? "")
        try FileManager.default.copyItem(atPath: deb, toPath: root + inRoot)
        defer { try? FileManager.default.removeItem(atPath: root + inRoot) }
        try lab.runChecked(nil, ["chroot", root, "dpkg", "-i", inRoot])
        defer {
            // Back to the hook lab-root builds, whatever happened, for the other tests.
            _ = try? lab.run(nil, ["chroot", root, "dpkg", "-r", "probed-kea-hook"])
            _ = try? lab.run(nil, ["bash", Lab.root.appendingPathComponent("integrations/kea/lab-root").path], timeout: .seconds(600))
        }
        let status = try lab.runChecked(nil, ["chroot", root, "dpkg-query", "-W", "-f", "${Status}", "probed-kea-hook"])
        #expect(status == "install ok installed")
    }
}
