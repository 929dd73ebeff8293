import Foundation
import ProbeConfig
import Testing

/// Parses `yaml`, expecting it to be refused; records a failure (and returns nil) when it is accepted.
func refusal(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
    do {
        let configuration = try Configuration.parse(yaml: yaml, fileName: "probed.yaml")
        Issue.record("accepted, but should have been refused: \(configuration)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Expects `yaml` to be refused with `code`, naming `keyPath` on `line`.
@discardableResult
func expectRefusal(
    _ yaml: String,
    code: ConfigurationError.Code,
    keyPath: String,
    line: Int?,
    sourceLocation: SourceLocation = #_sourceLocation
) -> ConfigurationError? {
    guard let error = refusal(yaml, sourceLocation: sourceLocation) else { return nil }
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    #expect(error.keyPath == keyPath, "\(error)", sourceLocation: sourceLocation)
    #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
    #expect(error.fileName == "probed.yaml", sourceLocation: sourceLocation)
    return error
}

/// The path of the example configuration in the repository, found from this file's path.
func examplePath(filePath: String = #filePath) -> String {
    var components = filePath.split(separator: "/", omittingEmptySubsequences: false)
    // …/Tests/ProbeConfigTests/TestSupport.swift → …/config/probed.yaml
    components.removeLast(3)
    return (components + ["config", "probed.yaml"]).joined(separator: "/")
}

/// Writes `text` to a new file in the temporary directory and returns its path.
func temporaryFile(containing text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("probed-config-test-\(UUID().uuidString).yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func removeFile(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
