import ArgumentParser
import ProbeProtocol

/// The probe options of `check`, `pick` and `sweep`, passed through to the daemon as
/// `timeout_ms`, `attempts` and `max_age_ms`; the daemon's defaults apply to those left out.
struct ProbeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The probe deadline in milliseconds (1–10000).", valueName: "ms"))
    var timeout: Int?

    @Option(name: .long, help: ArgumentHelp("Echo requests sent within the deadline (1–10).", valueName: "n"))
    var attempts: Int?

    @Option(
        name: .customLong("max-age"),
        help: ArgumentHelp(
            "Accept a cached verdict no older than this many milliseconds; 0 probes afresh.",
            valueName: "ms"
        )
    )
    var maxAge: Int?

    func validate() throws {
        if let timeout, !Request.Limits.timeoutMilliseconds.contains(timeout) {
            throw ValidationError("--timeout must be between 1 and 10000 milliseconds, not \(timeout)")
        }
        if let attempts, !Request.Limits.attempts.contains(attempts) {
            throw ValidationError("--attempts must be between 1 and 10, not \(attempts)")
        }
        if let maxAge, !Request.Limits.maxAgeMilliseconds.contains(maxAge) {
            throw ValidationError(
                "--max-age must be between 0 and \(Request.Limits.maxAgeMilliseconds.upperBound) milliseconds, "
                    + "not \(maxAge)"
            )
        }
    }

    /// A `check` of `address` with these options.
    func check(_ address: IPAddress) -> Request.Operation {
        .check(
            CheckRequest(addr: address, timeoutMilliseconds: timeout, attempts: attempts, maxAgeMilliseconds: maxAge)
        )
    }

    /// A `pick` among `addresses` with these options.
    func pick(_ addresses: [IPAddress]) -> Request.Operation {
        .pick(
            PickRequest(addrs: addresses, timeoutMilliseconds: timeout, attempts: attempts, maxAgeMilliseconds: maxAge)
        )
    }

    /// How long the daemon may stay silent before probectl gives up: generous against the deadline.
    var idleTimeout: Duration {
        .seconds(30) + .milliseconds(timeout ?? 0)
    }
}
