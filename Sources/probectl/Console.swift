import Glibc

/// Writing to the standard streams and asking about the terminal.
///
/// Standard output goes through `print` (buffered, flushed at exit); standard error is written
/// straight to file descriptor 2, unbuffered, so that messages and the progress bar appear at once.
enum Console {
    /// Writes `text` to standard error as it is (add the line feed yourself).
    static func writeError(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Prints `probectl: message` on standard error.
    static func error(_ message: String) {
        writeError("probectl: \(message)\n")
    }

    /// Prints a line on standard output.
    static func line(_ text: String) {
        print(text)
    }

    /// Prints raw bytes (a JSON line from the daemon) as one line on standard output.
    static func line(bytes: some Collection<UInt8>) {
        print(String(decoding: bytes, as: UTF8.self))
    }

    /// Whether standard error is a terminal.
    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    /// Whether standard output is a terminal.
    static var standardOutputIsTerminal: Bool { isatty(1) == 1 }

    /// The width of the terminal on standard error, in columns; 80 when it cannot be told.
    static var terminalWidth: Int {
        var size = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// The text of an `errno` value, such as `No such file or directory`.
    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
