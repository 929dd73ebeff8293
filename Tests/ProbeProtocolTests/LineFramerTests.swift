import ProbeProtocol
import Testing

@Suite("Line framing")
struct LineFramerTests {
    /// Feeds `chunks` one by one and collects every event as text (`<too large>` for too-large).
    func events(_ chunks: [String], max: Int = 64, finish: Bool = false) -> [String] {
        var framer = LineFramer(maxLineLength: max)
        var result: [String] = []
        func drain(_ event: LineFramer.Event?) -> Bool {
            switch event {
            case .line(let bytes)?:
                result.append(String(decoding: bytes, as: UTF8.self))
                return true
            case .tooLarge?:
                result.append("<too large>")
                return true
            case nil: return false
            }
        }
        for chunk in chunks {
            framer.append(Array(chunk.utf8))
            while drain(framer.next()) {}
        }
        if finish { _ = drain(framer.finish()) }
        return result
    }

    @Test func splitsOnLF() {
        #expect(events(["a\nbb\nccc\n"]) == ["a", "bb", "ccc"])
        #expect(events(["a\nb"]) == ["a"], "an unterminated line waits")
    }

    @Test func dropsCROnlyBeforeLF() {
        #expect(events(["a\r\nb\r\n"]) == ["a", "b"])
        #expect(events(["a\rb\n"]) == ["a\rb"])
        #expect(events(["a\r\r\n"]) == ["a\r"])
        #expect(events(["a\r", "\nb\n"]) == ["a", "b"], "CR and LF in different chunks")
    }

    @Test func joinsSplitChunks() {
        #expect(
            events(["{\"op\":", "\"stats\"}", "\n{\"op\"", ":\"info\"}\n"]) == [#"{"op":"stats"}"#, #"{"op":"info"}"#]
        )
        let text = "line one\nline two\r\nline three\n"
        let byteByByte = text.map { String($0) }
        #expect(events(byteByByte) == ["line one", "line two", "line three"])
    }

    @Test func skipsBlankLines() {
        #expect(events(["\n\n  \n\t\r\n \r \nx\n\n"]) == ["x"])
        #expect(events([" x \n"]) == [" x "], "non-blank lines are kept as they are")
    }

    @Test func tooLargeWithLF() {
        let long = String(repeating: "a", count: 65)
        #expect(events(["ok\n\(long)\nafter\n"]) == ["ok", "<too large>"])
        #expect(events([String(repeating: "a", count: 64) + "\n"]) == [String(repeating: "a", count: 64)])
        #expect(events([String(repeating: "a", count: 64) + "\r\n"]) == [String(repeating: "a", count: 64)])
    }

    @Test func tooLargeBeforeLF() {
        // 65 bytes and no LF yet: known to be too long already.
        var framer = LineFramer(maxLineLength: 64)
        framer.append(Array(String(repeating: "a", count: 60).utf8))
        #expect(framer.next() == nil)
        framer.append(Array(String(repeating: "a", count: 5).utf8))
        #expect(framer.next() == .tooLarge)
        #expect(framer.isStopped)
        #expect(framer.next() == nil, "too_large comes once")
        framer.append(Array("more\n".utf8))
        #expect(framer.next() == nil, "the framer has stopped")
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func pendingCRMayStillBeDropped() {
        var framer = LineFramer(maxLineLength: 4)
        framer.append(Array("abcd\r".utf8))
        #expect(framer.next() == nil, "a CR at the limit may belong to CRLF")
        framer.append(Array("\n".utf8))
        #expect(framer.next() == .line(ArraySlice("abcd".utf8)))
        framer.append(Array("abcde".utf8))
        #expect(framer.next() == .tooLarge)
    }

    @Test func finishReturnsTheLastUnterminatedLine() {
        #expect(events(["a\nlast"], finish: true) == ["a", "last"])
        #expect(events(["a\nlast\r"], finish: true) == ["a", "last"])
        #expect(events(["a\n  "], finish: true) == ["a"])
        #expect(events(["a\n"], finish: true) == ["a"])
    }

    @Test func manyLinesCompactTheBuffer() {
        var framer = LineFramer(maxLineLength: 100)
        var seen = 0
        for round in 0..<2000 {
            framer.append(Array("{\"id\":\(round),\"op\":\"stats\"}\n{\"id\":".utf8))
            framer.append(Array("\(round)}\n".utf8))
            while case .line(let line)? = framer.next() {
                #expect(line.first == UInt8(ascii: "{"))
                seen += 1
            }
        }
        #expect(seen == 4000)
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func feedsDecoder() {
        var framer = LineFramer(maxLineLength: 4096)
        framer.append(Array("{\"id\":1,\"op\":\"stats\"}\r\n{\"id\":2,\"op\":\"info\"}\n".utf8))
        var requests: [Request] = []
        while case .line(let line)? = framer.next() {
            if case .success(let request) = Request.decode(line) { requests.append(request) }
        }
        #expect(requests == [Request(id: 1, operation: .stats), Request(id: 2, operation: .info)])
    }
}
