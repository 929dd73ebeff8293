import Foundation
import ProbeConfig
import Testing

/// One numeric key, with a YAML template whose `X` is replaced by the value under test.
struct NumericKey: Sendable, CustomTestStringConvertible {
    var template: String
    var keyPath: String
    var line: Int
    var min: Int
    var max: Int

    var testDescription: String { keyPath }

    func yaml(_ value: String) -> String {
        template.replacingOccurrences(of: "X", with: value)
    }

    static let all: [NumericKey] = [
        NumericKey(template: "probe:\n  timeout_ms: X\n", keyPath: "probe.timeout_ms", line: 2, min: 1, max: 10_000),
        NumericKey(template: "probe:\n  attempts: X\n", keyPath: "probe.attempts", line: 2, min: 1, max: 10),
        NumericKey(template: "probe:\n  max_pps: X\n", keyPath: "probe.max_pps", line: 2, min: 1, max: 1_000_000),
        NumericKey(
            template: "probe:\n  max_in_flight: X\n",
            keyPath: "probe.max_in_flight",
            line: 2,
            min: 1,
            max: 65_536
        ),
        NumericKey(
            template: "probe:\n  neighbor_max_age_s: X\n",
            keyPath: "probe.neighbor_max_age_s",
            line: 2,
            min: 1,
            max: 3600
        ),
        NumericKey(
            template: "cache:\n  in_use_ttl_s: X\n",
            keyPath: "cache.in_use_ttl_s",
            line: 2,
            min: 1,
            max: 86_400
        ),
        NumericKey(template: "cache:\n  free_ttl_s: X\n", keyPath: "cache.free_ttl_s", line: 2, min: 1, max: 86_400),
        NumericKey(
            template: "cache:\n  max_entries: X\n",
            keyPath: "cache.max_entries",
            line: 2,
            min: 1,
            max: 10_000_000
        ),
        NumericKey(
            template: "log: {level: info}\npools_max_pps: X\n",
            keyPath: "pools_max_pps",
            line: 2,
            min: 1,
            max: 1_000_000
        ),
        NumericKey(
            template: "pools:\n  - prefix: 10.1.0.0/24\n    refresh_s: X\n",
            keyPath: "pools[0].refresh_s",
            line: 3,
            min: 1,
            max: 86_400
        ),
        NumericKey(
            template: "limits:\n  max_connections: X\n",
            keyPath: "limits.max_connections",
            line: 2,
            min: 1,
            max: 65_536
        ),
        NumericKey(
            template: "limits:\n  max_line_bytes: X\n",
            keyPath: "limits.max_line_bytes",
            line: 2,
            min: 128,
            max: 1_048_576
        ),
        NumericKey(
            template: "limits:\n  max_pending_per_connection: X\n",
            keyPath: "limits.max_pending_per_connection",
            line: 2,
            min: 1,
            max: 65_536
        ),
        NumericKey(
            template: "socket:\n  allowed_uids: [X]\n",
            keyPath: "socket.allowed_uids[0]",
            line: 2,
            min: 0,
            max: 4_294_967_294
        ),
        NumericKey(
            template: "socket:\n  allowed_gids:\n    - 0\n    - X\n",
            keyPath: "socket.allowed_gids[1]",
            line: 4,
            min: 0,
            max: 4_294_967_294
        ),
    ]
}

@Suite struct RangeTests {
    @Test(arguments: NumericKey.all)
    func boundsAreAccepted(key: NumericKey) throws {
        _ = try Configuration.parse(yaml: key.yaml(String(key.min)))
        _ = try Configuration.parse(yaml: key.yaml(String(key.max)))
    }

    @Test(arguments: NumericKey.all)
    func belowTheRangeIsRefused(key: NumericKey) {
        let value = String(key.min - 1)
        let error = expectRefusal(key.yaml(value), code: .outOfRange, keyPath: key.keyPath, line: key.line)
        #expect(error?.message == "must be an integer from \(key.min) to \(key.max) (got \(value))")
    }

    @Test(arguments: NumericKey.all)
    func aboveTheRangeIsRefused(key: NumericKey) {
        let value = String(key.max + 1)
        let error = expectRefusal(key.yaml(value), code: .outOfRange, keyPath: key.keyPath, line: key.line)
        #expect(error?.message == "must be an integer from \(key.min) to \(key.max) (got \(value))")
    }

    @Test(arguments: NumericKey.all)
    func hugeAndNegativeAreOutOfRange(key: NumericKey) {
        expectRefusal(key.yaml("99999999999999999999999"), code: .outOfRange, keyPath: key.keyPath, line: key.line)
        expectRefusal(key.yaml("-5"), code: .outOfRange, keyPath: key.keyPath, line: key.line)
    }

    @Test(arguments: NumericKey.all)
    func nonIntegersAreWrongType(key: NumericKey) {
        expectRefusal(key.yaml("\"\(key.min)\""), code: .wrongType, keyPath: key.keyPath, line: key.line)
        expectRefusal(key.yaml("1.0"), code: .wrongType, keyPath: key.keyPath, line: key.line)
        expectRefusal(key.yaml("true"), code: .wrongType, keyPath: key.keyPath, line: key.line)
    }

    @Test func underscoresGroupDigits() throws {
        #expect(try Configuration.parse(yaml: "cache:\n  max_entries: 200_000\n").cache.maxEntries == 200_000)
    }

    @Test func poolsMaxPPSMustNotExceedProbeMaxPPSWhenThereArePools() throws {
        // Without pools the share is moot.
        #expect(try Configuration.parse(yaml: "probe:\n  max_pps: 1000\n").poolsMaxPPS == 5000)
        let withPools = "probe:\n  max_pps: 1000\npools:\n  - prefix: 10.0.0.0/24\n"
        let error = expectRefusal(withPools, code: .outOfRange, keyPath: "probe.max_pps", line: 2)
        #expect(error?.message.contains("must not exceed probe.max_pps") == true)
        expectRefusal(withPools + "pools_max_pps: 1001\n", code: .outOfRange, keyPath: "pools_max_pps", line: 5)
        let fine = try Configuration.parse(yaml: withPools + "pools_max_pps: 1000\n")
        #expect(fine.poolsMaxPPS == 1000)
    }
}
