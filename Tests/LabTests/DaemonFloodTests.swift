import Foundation
import Glibc
import LabSupport
import ProbeProtocol
import Testing

/// A client that pipelines requests as fast as it can and never reads its answers: the daemon
/// stops reading that connection while its unwritten answers are above the high-water mark, so the
/// connection costs bounded memory, everyone else is served as if it were not there, and the
/// client still gets every answer when it reads late.
@Suite(.serialized, .lab)
struct DaemonFloodTests {
    typealias A = Lab.Addresses

    /// How long the flood runs.
    static let floodDuration: Duration = .seconds(15)
    /// The most the daemon's resident memory may grow while one connection floods it. Without
    /// back-pressure it grew without end (1.6 GiB after 15 s of a release build's flood; about
    /// 1 MiB a second here, where this test's client and the debug build are slower); with it the
    /// growth is the connection's buffers: answers up to the high-water mark and one read burst.
    static let allowedGrowthKiB = 8 * 1024

    @Test func aClientThatNeverReadsCostsBoundedMemoryAndLosesNoAnswer() async throws {
        try await withDaemon { daemon in
            let neighbour = try daemon.client()
            // A cached verdict: every flooded check is a cache hit, answered at once.
            #expect(try neighbour.ask(checkLine(A.live4[0], id: 0)).state == "in_use")
            let baseline = try Self.residentKiB(daemon.process.pid)

            let flood = try FloodConnection(path: daemon.socketPath, line: checkLine(A.live4[0]))
            let clock = ContinuousClock()
            let end = clock.now.advanced(by: Self.floodDuration)
            var peak = baseline
            var nextSample = clock.now
            var slowest: Duration = .zero
            var neighbourChecks = 0
            while clock.now < end {
                // Write whatever the socket takes for up to 20 ms, then let the neighbour ask.
                try flood.write(for: .milliseconds(20))
                if clock.now >= nextSample {
                    peak = max(peak, try Self.residentKiB(daemon.process.pid))
                    nextSample = clock.now.advanced(by: .milliseconds(250))
                }
                let started = clock.now
                let answer = try neighbour.ask(checkLine(A.live4[0], id: neighbourChecks + 1), timeout: .seconds(2))
                slowest = max(slowest, clock.now - started)
                #expect(answer.state == "in_use" && answer["id"]?.intValue == neighbourChecks + 1, "\(answer)")
                neighbourChecks += 1
            }
            peak = max(peak, try Self.residentKiB(daemon.process.pid))
            // The daemon stopped reading long before the flood ended: the client was held back.
            #expect(flood.blockedWrites > 0, "the daemon never pushed back (\(flood.linesSent) lines in \(Self.floodDuration))")
            #expect(peak - baseline <= Self.allowedGrowthKiB, "RSS grew from \(baseline) KiB to \(peak) KiB during the flood")
            #expect(slowest < .milliseconds(250), "the slowest of \(neighbourChecks) checks on another connection took \(slowest)")
            #expect(neighbourChecks > 100)

            // Reading late loses nothing: every line sent gets its answer, then the daemon closes.
            let answers = try flood.finishAndReadAll(timeout: .seconds(60))
            #expect(answers.lines == flood.linesSent, "sent \(flood.linesSent) requests, got \(answers.lines) answers")
            #expect(answers.inUse + answers.overloaded == answers.lines, "\(answers)")
            #expect(answers.inUse > 0)
            print("flood: \(flood.linesSent) lines, RSS \(baseline) → \(peak) KiB, slowest neighbour check \(slowest), \(answers)")
        }
    }

    /// The daemon's resident set, in KiB.
    static func residentKiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { throw LabError(.commandFailed, "no VmRSS for pid \(pid)") }
        return kib
    }
}

/// A non-blocking connection that writes one request line over and over and reads nothing until
/// told to.
private final class FloodConnection {
    struct Answers: CustomStringConvertible {
        var lines = 0
        var inUse = 0
        var overloaded = 0
        var description: String { "\(lines) answers: \(inUse) in_use, \(overloaded) overloaded" }
    }

    private let descriptor: Int32
    private let chunk: [UInt8]
    private let lineLength: Int
    /// Bytes of the chunk written so far into the current copy (a write may stop mid-line).
    private var offset = 0
    private(set) var bytesSent = 0
    /// Writes that found the socket full.
    private(set) var blockedWrites = 0

    var linesSent: Int { bytesSent / lineLength }

    init(path: String, line: String) throws {
        let bytes = Array((line + "\n").utf8)
        lineLength = bytes.count
        chunk = Array(repeating: bytes, count: 64 * 1024 / bytes.count).flatMap { $0 }
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw LabError(.socket, "socket: errno \(errno)") }
        let connected = withUnixSocketAddress(path) { connect(descriptor, $0, $1) }
        guard connected == 0 else { throw LabError(.socket, "connect \(path): errno \(errno)") }
    }

    deinit { close(descriptor) }

    /// Writes as much as the socket takes, waiting up to `duration` for room.
    func write(for duration: Duration) throws {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: duration)
        while clock.now < end {
            let written = chunk[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                bytesSent += written
                offset = (offset + written) % chunk.count
                continue
            }
            guard written < 0, errno == EAGAIN else { throw LabError(.socket, "flood write: errno \(errno)") }
            blockedWrites += 1
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let left = end - clock.now
            let milliseconds = max(1, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            _ = poll(&poller, 1, milliseconds)
        }
    }

    /// Completes the last partial line (``linesSent`` then counts it), half-closes, and reads every answer until the daemon
    /// closes the connection.
    func finishAndReadAll(timeout: Duration) throws -> Answers {
        var answers = Answers()
        var tail = Array(chunk[offset...].prefix(lineLength - bytesSent % lineLength))
        if bytesSent % lineLength == 0 { tail = [] }
        var pendingLine: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: timeout)
        var halfClosed = false
        while clock.now < end {
            if !halfClosed, tail.isEmpty {
                shutdown(descriptor, Int32(SHUT_WR))
                halfClosed = true
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN) | (halfClosed ? 0 : Int16(POLLOUT)), revents: 0)
            _ = poll(&poller, 1, 100)
            if !tail.isEmpty, poller.revents & Int16(POLLOUT) != 0 {
                let written = tail.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if written > 0 {
                    bytesSent += written
                    tail.removeFirst(written)
                }
            }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return answers }
            if count < 0 {
                guard errno == EAGAIN else { throw LabError(.socket, "flood read: errno \(errno)") }
                continue
            }
            for byte in buffer[..<count] {
                guard byte == UInt8(ascii: "\n") else {
                    pendingLine.append(byte)
                    continue
                }
                answers.lines += 1
                let text = String(decoding: pendingLine, as: UTF8.self)
                if text.contains(#""state":"in_use""#) { answers.inUse += 1 }
                if text.contains(#""code":"overloaded""#) { answers.overloaded += 1 }
                pendingLine.removeAll(keepingCapacity: true)
            }
        }
        throw LabError(.timeout, "the daemon did not finish answering in \(timeout): \(answers)")
    }
}
