import CSystemd
import Glibc

/// Talks to systemd through libsystemd: readiness, status, watchdog, reload and stop notices,
/// and the sockets of socket activation. Every call is a no-op outside systemd (no `NOTIFY_SOCKET`).
package struct SystemdNotifier: Sendable {
    package init() {}

    /// Whether a notification socket is set (we run under systemd, or a test acting as it).
    package var isEnabled: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends a raw notification (`READY=1`, `STATUS=…`, several lines at once).
    package func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    /// `READY=1` with a status line.
    package func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }

    /// `STATUS=…`.
    package func status(_ text: String) { notify("STATUS=\(text)") }

    /// `WATCHDOG=1`.
    package func watchdog() { notify("WATCHDOG=1") }

    /// `RELOADING=1` with the `MONOTONIC_USEC` systemd needs to order it (Type=notify-reload).
    package func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        notify("RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=reloading configuration")
    }

    /// `STOPPING=1`.
    package func stopping() { notify("STOPPING=1\nSTATUS=stopping: answering requests in flight") }

    /// The watchdog interval systemd expects pings at (`WATCHDOG_USEC`), or nil when it is off.
    package func watchdogInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(clamping: microseconds))
    }

    /// The listening sockets passed by socket activation (`LISTEN_FDS`), starting at fd 3.
    /// The environment variables are left in place for diagnostics; the descriptors are ours.
    package func listenDescriptors() -> [Int32] {
        let count = sd_listen_fds(0)
        guard count > 0 else { return [] }
        return (0..<count).map { SD_LISTEN_FDS_START + $0 }
    }
}
