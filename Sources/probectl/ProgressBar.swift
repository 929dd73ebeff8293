/// A one-line progress bar on standard error, redrawn at most ten times a second.
///
/// `sweeping 198.51.100.0/24 [##########----------] 127/254  50%  3 in use`
///
/// Only use it when standard error is a terminal (``Console/standardErrorIsTerminal``).
struct ProgressBar {
    /// What is in progress, shown first.
    let label: String
    /// The number of steps to completion.
    let total: Int
    private let clock = ContinuousClock()
    private var lastDrawn: ContinuousClock.Instant?
    private var isVisible = false

    init(label: String, total: Int) {
        self.label = label
        self.total = max(1, total)
    }

    /// Records progress; redraws when the last drawing is at least 100 ms old, or at completion.
    mutating func update(done: Int, note: String) {
        let now = clock.now
        if done < total, let lastDrawn, now - lastDrawn < .milliseconds(100) { return }
        lastDrawn = now
        isVisible = true
        Console.writeError(
            "\r" + Self.render(label: label, done: done, total: total, note: note, width: Console.terminalWidth)
                + "\u{1B}[K"
        )
    }

    /// Erases the bar, so that what follows starts on a clean line.
    mutating func clear() {
        guard isVisible else { return }
        isVisible = false
        Console.writeError("\r\u{1B}[K")
    }

    /// The text of the bar, fitted into `width` columns (one column is left free so that the
    /// terminal never wraps).
    static func render(label: String, done: Int, total: Int, note: String, width: Int) -> String {
        let total = max(1, total)
        let done = min(max(0, done), total)
        let percent = done * 100 / total
        let counts = "\(done)/\(total)"
        let tail = " \(counts)  \(percent)%" + (note.isEmpty ? "" : "  \(note)")
        let room = width - 1 - label.count - tail.count - 3
        guard room >= 10 else { return String((label + tail).prefix(max(0, width - 1))) }
        let barWidth = min(room, 40)
        let filled = done * barWidth / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled)
        return "\(label) [\(bar)]\(tail)"
    }
}
