package import Logging
import Glibc
package import Synchronization

/// Writes one line per log record to standard error. Under systemd (`JOURNAL_STREAM` set) each
/// line starts with its syslog priority (`<6>`) so that journald files it at the right level and
/// adds its own timestamp; elsewhere lines carry a timestamp and the level in words.
package struct StandardErrorLogHandler: LogHandler {
    /// The level every handler follows; a reload changes it for all loggers at once.
    package static let level = Mutex(Logger.Level.info)

    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let journal: Bool

    package init(label: String, journal: Bool = getenv("JOURNAL_STREAM") != nil) {
        self.label = label
        self.journal = journal
    }

    package var logLevel: Logger.Level {
        get { Self.level.withLock { $0 } }
        set { Self.level.withLock { $0 = newValue } }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var line = journal ? "<\(Self.priority(event.level))>" : "\(Self.timestamp()) \(event.level) "
        line += event.message.description
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        if !merged.isEmpty {
            for key in merged.keys.sorted() { line += " \(key)=\(merged[key]!)" }
        }
        line += "\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }

    /// syslog priorities (sd-daemon.h's SD_ERR …).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let millis = Int32(now.tv_nsec / 1_000_000)
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(millis, 3))Z"
    }
}
