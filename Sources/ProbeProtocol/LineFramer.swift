/// Splits a byte stream into lines, incrementally: feed chunks with ``append(_:)``, take complete
/// lines with ``next()``.
///
/// - A line ends at LF; a CR right before the LF is dropped. Other bytes are kept as they are.
/// - Empty and whitespace-only lines (space, tab, CR) are skipped.
/// - A line longer than ``maxLineLength`` bytes (not counting its LF or CRLF) yields
///   ``Event/tooLarge`` once, as soon as it is known to be too long, even before its LF has
///   arrived; the framer then stops: it drops its buffer, ignores further input and yields nothing
///   more. (The server answers `too_large` and closes the connection.)
///
/// The lines are slices of the framer's buffer: no copy is made per line. Use a line before the
/// next ``append(_:)`` (or copy it); keeping it alive across an append makes the append copy the buffer.
///
/// ```swift
/// framer.append(chunk)
/// while let event = framer.next() {
///     switch event {
///     case .line(let line): handle(Request.decode(line))
///     case .tooLarge: answerTooLargeAndClose()
///     }
/// }
/// ```
public struct LineFramer: Sendable {
    /// What the framer found.
    public enum Event: Hashable, Sendable {
        /// A complete, non-blank line, without its terminator.
        case line(ArraySlice<UInt8>)
        /// A line over the maximum length; the framer has stopped.
        case tooLarge
    }

    /// The longest line accepted, in bytes, without its terminator.
    public let maxLineLength: Int
    /// Whether the framer has stopped after ``Event/tooLarge``.
    public private(set) var isStopped = false

    private var buffer: [UInt8] = []
    /// Where the unconsumed bytes begin.
    private var start = 0
    /// Where the search for the next LF resumes (bytes before it hold no LF).
    private var scanned = 0

    /// - Parameter maxLineLength: the longest line accepted, in bytes, without its terminator.
    public init(maxLineLength: Int) {
        precondition(maxLineLength > 0, "the maximum line length must be positive")
        self.maxLineLength = maxLineLength
    }

    /// The bytes received but not yet returned as lines.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Adds received bytes. Ignored once the framer has stopped.
    public mutating func append(_ chunk: some Collection<UInt8>) {
        guard !isStopped else { return }
        compact()
        if chunk.withContiguousStorageIfAvailable({ buffer.append(contentsOf: $0) }) == nil {
            buffer.append(contentsOf: chunk)
        }
    }

    /// The next complete line, ``Event/tooLarge``, or `nil` when more input is needed (or the
    /// framer has stopped).
    public mutating func next() -> Event? {
        guard !isStopped else { return nil }
        while true {
            guard let newline = findNewline() else {
                scanned = buffer.count
                let pending = buffer.count - start
                let tooLong =
                    pending > maxLineLength + 1
                    || (pending == maxLineLength + 1 && buffer[buffer.count - 1] != UInt8(ascii: "\r"))
                return tooLong ? stop() : nil
            }
            let lineStart = start
            var lineEnd = newline
            if lineEnd > lineStart, buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            start = newline + 1
            scanned = start
            if lineEnd - lineStart > maxLineLength { return stop() }
            if isBlank(lineStart..<lineEnd) { continue }
            return .line(buffer[lineStart..<lineEnd])
        }
    }

    /// At the end of the stream: the last line if it had no LF (and is not blank), or
    /// ``Event/tooLarge`` if it is too long; `nil` otherwise. Call it after ``next()`` returned `nil`.
    public mutating func finish() -> Event? {
        guard !isStopped, start < buffer.count else { return nil }
        let lineStart = start
        var lineEnd = buffer.count
        if buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
        start = buffer.count
        scanned = start
        if lineEnd - lineStart > maxLineLength { return stop() }
        if isBlank(lineStart..<lineEnd) { return nil }
        return .line(buffer[lineStart..<lineEnd])
    }

    private mutating func stop() -> Event {
        isStopped = true
        buffer = []
        start = 0
        scanned = 0
        return .tooLarge
    }

    private func findNewline() -> Int? {
        guard scanned < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            var index = scanned
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "\n") { return index }
                index += 1
            }
            return nil
        }
    }

    private func isBlank(_ range: Range<Int>) -> Bool {
        buffer.withUnsafeBufferPointer { bytes in
            for index in range {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): continue
                default: return false
                }
            }
            return true
        }
    }

    /// Drops consumed bytes: all of them when everything is consumed, else once they make up most
    /// of the buffer, so that the cost stays linear in the input.
    private mutating func compact() {
        guard start > 0 else { return }
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if start >= 1024, start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
        } else {
            return
        }
        scanned -= start
        start = 0
    }
}
