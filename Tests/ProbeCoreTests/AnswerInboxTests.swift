import ProbeProtocol
import Testing

@testable import ProbeCore

/// The inbox keeps answers encoded, in the order added, and tells the first of each batch.
@Suite struct AnswerInboxTests {
    @Test func keepsEncodedLinesInOrderAndTellsTheFirstOfABatch() {
        let inbox = AnswerInbox()
        let first = Response.error(.overloaded("busy"), id: ResponseID(.number(1)))
        let second = Response.info(.object(["version": .string("test")]), id: ResponseID(.number(2)))
        #expect(inbox.add(first))
        #expect(!inbox.add(second), "only the first since the last take schedules a drain")
        let (lines, count) = inbox.take()
        #expect(count == 2)
        #expect(lines == first.encoded() + second.encoded())
        #expect(String(decoding: lines, as: UTF8.self).split(separator: "\n").count == 2)
        let (empty, none) = inbox.take()
        #expect(empty.isEmpty && none == 0)
        #expect(inbox.add(second), "a new batch begins after a take")
    }
}
