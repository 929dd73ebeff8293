public import Foundation

extension Lab {
    /// The repository's root directory, derived from this file's path (`Tests/LabSupport/…`).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/LabSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `Tests/Lab`, the lab's scripts.
    public static var scriptsDirectory: URL { root.appendingPathComponent("Tests/Lab") }
    /// `Tests/Lab/lab.sh`: `up <prefix>`, `down <prefix>`, `gc`.
    public static var labScript: URL { scriptsDirectory.appendingPathComponent("lab.sh") }
    /// `Tests/Lab/stray_reply.py`, the forger of stray echo replies (run it with `python3`).
    public static var strayReplyScript: URL { scriptsDirectory.appendingPathComponent("stray_reply.py") }

    /// The directory of the built products (`.build/<triple>/debug`).
    ///
    /// In order: the environment variable `PROBED_BIN_DIR`; the directory of the running test
    /// executable when it lies in a `.build` directory, or a scratch folder such as `.build-asan`
    /// (as under `swift test`); the output of
    /// `swift build --show-bin-path` in ``root``. Worked out once.
    ///
    /// - Throws: ``LabError`` `.commandFailed` when none of these gives a directory.
    public static var binDirectory: URL {
        get throws { try binDirectoryResult.get() }
    }

    /// The `probed` daemon in ``binDirectory`` (not checked to exist).
    public static var probedBinary: URL {
        get throws { try binDirectory.appendingPathComponent("probed") }
    }

    /// The `probectl` client in ``binDirectory`` (not checked to exist).
    public static var probectlBinary: URL {
        get throws { try binDirectory.appendingPathComponent("probectl") }
    }

    private static let binDirectoryResult: Result<URL, LabError> = {
        if let directory = ProcessInfo.processInfo.environment["PROBED_BIN_DIR"], !directory.isEmpty {
            return .success(URL(fileURLWithPath: directory, isDirectory: true))
        }
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            executable.contains("/.build")
        {
            return .success(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        do {
            let (status, output) = try Lab.run(nil, ["swift", "build", "--package-path", root.path, "--show-bin-path"])
            let path = output.split(separator: "\n").last.map(String.init) ?? ""
            guard status == 0, path.hasPrefix("/") else {
                return .failure(LabError(.commandFailed, "swift build --show-bin-path failed: \(output)"))
            }
            return .success(URL(fileURLWithPath: path, isDirectory: true))
        } catch let error as LabError {
            return .failure(error)
        } catch {
            return .failure(LabError(.commandFailed, "swift build --show-bin-path: \(error)"))
        }
    }()
}
