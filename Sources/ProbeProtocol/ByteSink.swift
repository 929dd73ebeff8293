/// Where the encoders write bytes: a growing `[UInt8]`, or an ``UnsafeByteWriter`` over memory
/// reserved in advance (the hot path of ``Response/encode(into:)``).
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>)
}

extension ByteSink {
    /// Appends the bytes of a literal.
    @inline(__always)
    mutating func appendLiteral(_ literal: StaticString) {
        literal.withUTF8Buffer { appendBytes($0) }
    }

    /// Appends the UTF-8 bytes of a string, unescaped.
    @inline(__always)
    mutating func appendUTF8(_ string: String) {
        var string = string
        string.withUTF8 { appendBytes($0) }
    }
}

extension Array: ByteSink where Element == UInt8 {
    @inline(__always)
    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        append(contentsOf: bytes)
    }
}

/// Writes into memory reserved in advance, checking every write against the end.
///
/// Appending to an `Array` costs a uniqueness and capacity check per call, which dominates when
/// an answer is made of a dozen short pieces; this writer costs a compare and a copy.
struct UnsafeByteWriter: ByteSink {
    private let start: UnsafeMutablePointer<UInt8>
    private var position: UnsafeMutablePointer<UInt8>
    private let end: UnsafeMutablePointer<UInt8>

    init(start: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.start = start
        self.position = start
        self.end = start + capacity
    }

    /// The bytes written so far.
    var count: Int { position - start }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        precondition(position < end, "UnsafeByteWriter: the reserved space is too small")
        position.pointee = byte
        position += 1
    }

    @inline(__always)
    mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        precondition(end - position >= bytes.count, "UnsafeByteWriter: the reserved space is too small")
        position.update(from: base, count: bytes.count)
        position += bytes.count
    }
}

extension Array where Element == UInt8 {
    /// Appends at most `maxCount` bytes, written by `body` through an ``UnsafeByteWriter``.
    ///
    /// `body` must not write more than `maxCount` bytes (the writer traps if it tries).
    mutating func appendUnsafely(maxCount: Int, _ body: (inout UnsafeByteWriter) -> Void) {
        guard maxCount > 0 else { return }
        let oldCount = count
        append(contentsOf: repeatElement(0, count: maxCount))
        let written = withUnsafeMutableBufferPointer { buffer in
            var writer = UnsafeByteWriter(start: buffer.baseAddress! + oldCount, capacity: maxCount)
            body(&writer)
            return writer.count
        }
        removeLast(maxCount - written)
    }
}
