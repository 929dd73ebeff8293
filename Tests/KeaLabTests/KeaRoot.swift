import Foundation
import Glibc
import LabSupport
import Synchronization

/// The Debian 13 root with Kea 3.0 and the hook built in it (`integrations/kea/lab-root`).
///
/// The first use in a test run builds the root when it is missing (minutes, once per machine) and
/// always rebuilds the hook from the checkout; a failure is an error, never a skip.
enum KeaRoot {
    private static let built = Mutex<Result<String, LabError>?>(nil)

    /// The root's path, after lab-root built (or found) it and installed the current hook.
    static func path() throws -> String {
        try built.withLock { cached in
            if let cached { return try cached.get() }
            let result = Result<String, LabError> {
                let script = Lab.root.appendingPathComponent("integrations/kea/lab-root").path
                let (status, output) = try Lab.run(nil, ["bash", script], timeout: .seconds(1200))
                let lines = output.split(separator: "\n").map(String.init)
                guard status == 0, let path = lines.last, path.hasPrefix("/"),
                    access(path + "/usr/sbin/kea-dhcp4", X_OK) == 0
                else {
                    throw LabError(.commandFailed, "integrations/kea/lab-root failed (status \(status)): \(output)")
                }
                return path
            }
            cached = result
            return try result.get()
        }
    }
}

extension Result where Failure == LabError {
    init(catching body: () throws -> Success) {
        do {
            self = .success(try body())
        } catch let error as LabError {
            self = .failure(error)
        } catch {
            self = .failure(LabError(.commandFailed, "\(error)"))
        }
    }
}
