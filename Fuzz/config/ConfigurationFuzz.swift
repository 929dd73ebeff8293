import ProbeConfig

/// The configuration target: ``Configuration/parse(yaml:fileName:)`` (Yams' libyaml, then the strict
/// decoder) on arbitrary UTF-8 text, as `probed --check-config` and a reload read a file.
///
/// It must never crash. An error must name a line inside the text (or none) and say something;
/// lines are counted as YAML counts them (a lone `\r` ends one too, `\r\n` ends one).
enum ConfigurationFuzz {
    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        // The daemon refuses a file that is not UTF-8 before it parses anything.
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        do throws(ConfigurationError) {
            let configuration = try Configuration.parse(yaml: text)
            _ = configuration.keysNeedingRestart(comparedTo: Configuration())
        } catch {
            let lines = lineCount(text)
            if let line = error.line, !(1...(lines + 1)).contains(line) {
                FuzzCheck.fail("error on line \(line) of \(lines): \(error)")
            }
            guard !error.description.isEmpty else { FuzzCheck.fail("an error without a message") }
        }
    }

    static func lineCount(_ text: String) -> Int {
        var count = 1
        var previous: Unicode.Scalar = " "
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": if previous != "\r" { count += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": count += 1
            default: break
            }
            previous = scalar
        }
        return count
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    ConfigurationFuzz.run(FuzzCheck.bytes(data, size))
    return 0
}
