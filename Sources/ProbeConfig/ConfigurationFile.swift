#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a configuration file as UTF-8 text, with errors that say which file and why (`strerror`).
enum ConfigurationFile {
    /// A configuration file larger than this is refused (it is surely the wrong file).
    static let maxBytes = 1 << 20

    static func contents(ofPath path: String) throws(ConfigurationError) -> String {
        func failure(_ code: ConfigurationError.Code, _ message: String) -> ConfigurationError {
            ConfigurationError(code: code, fileName: path, message: message)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw failure(code == ENOENT ? .notFound : .unreadable, "cannot open: \(describe(code))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(.unreadable, "cannot stat: \(describe(errno))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw failure(.unreadable, "is not a regular file") }
        guard Int(info.st_size) <= maxBytes else {
            throw failure(.unreadable, "is \(info.st_size) bytes long; a configuration file holds at most \(maxBytes)")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(.unreadable, "cannot read: \(describe(errno))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= maxBytes else {
                throw failure(.unreadable, "is longer than \(maxBytes) bytes; a configuration file holds less")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw failure(.unreadable, "is not UTF-8 text")
        }
        return text
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
