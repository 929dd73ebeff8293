import Foundation
import Glibc
import Synchronization

/// One network-namespace test lab (Tests/Lab/README.md), built by `Tests/Lab/lab.sh`.
///
/// Four namespaces, named after a unique ``prefix``:
///
/// - ``dut``: where the code under test runs (its sockets are opened there with
///   ``withNamespace(_:_:)``, or the daemon runs there through ``LabProcess``).
///   `net.ipv4.ping_group_range` is `0 2147483647`, so any process may open ping sockets.
///   ``Lab/dutInterface`` holds ``Addresses/dutAddress4`` and ``Addresses/dutAddress6``;
///   ``Lab/sinkInterface`` is an `ifb` device with `arp off` into which the sink prefixes are
///   routed: what is sent there is dropped without a word and without ARP or NDP.
/// - ``dutRaw``: the same, with ``Addresses/dutRawAddress4`` / ``Addresses/dutRawAddress6`` and
///   `ping_group_range` left at `1 0`, so ping sockets are refused (EACCES) and only raw sockets
///   (root) work: the raw-socket fallback.
/// - ``hosts``: a bridge joining both duts and the quiet host, holding the live hosts
///   (``Addresses/live4``, ``Addresses/live6``), which answer echo.
/// - ``quiet``: one host (``Addresses/quiet4``, ``Addresses/quiet6``, MAC
///   ``Addresses/quietMAC``) whose nftables drop echo requests; it answers ARP and NDP.
///
/// The routes in both duts and the `sendto()` errors they give are in ``Addresses``.
///
/// Use ``withLab(isolation:_:)`` for one lab around a piece of code, or the ``LabTrait`` for a
/// suite: `@Suite(.serialized, .lab)`, then ``required`` (or ``current``) inside its tests.
public struct Lab: Sendable, Hashable {
    /// The common prefix of the namespace names, e.g. `pl1234x1`.
    public let prefix: String

    /// The namespace where the code under test runs, with ping sockets allowed.
    public var dut: String { "\(prefix)-dut" }
    /// The namespace like ``dut`` but with ping sockets refused (raw-socket fallback).
    public var dutRaw: String { "\(prefix)-dutraw" }
    /// The namespace of the bridge and the live hosts.
    public var hosts: String { "\(prefix)-hosts" }
    /// The namespace of the host that drops echo requests.
    public var quiet: String { "\(prefix)-quiet" }
    /// All four namespaces.
    public var namespaces: [String] { [dut, dutRaw, hosts, quiet] }

    /// The interface of ``dut`` and ``dutRaw`` on the hosts' link (a veth).
    public static let dutInterface = "veth0"
    /// The silent sink of ``dut`` and ``dutRaw`` (an `ifb` with `arp off`).
    public static let sinkInterface = "sink0"
    /// The bridge in ``hosts``, which holds the live addresses.
    public static let bridgeInterface = "br0"
    /// The quiet host's interface in ``quiet``.
    public static let quietInterface = "eth0"

    /// A lab value for an existing (or about to be built) set of namespaces.
    public init(prefix: String) {
        self.prefix = prefix
    }

    /// The lab that the innermost ``withLab(isolation:_:)`` or ``LabTrait`` scope provides.
    @TaskLocal public static var current: Lab?

    /// The current lab, or an error that says how to get one.
    public static var required: Lab {
        get throws {
            guard let current else {
                throw LabError(
                    .notInLab,
                    "no lab here: put the suite under the lab trait (@Suite(.serialized, .lab)) "
                        + "or run the code inside Lab.withLab { lab in ... }")
            }
            return current
        }
    }

    private static let counter = Atomic<Int>(0)

    /// A prefix not used before by this process: `pl<pid>x<counter>`.
    public static func uniquePrefix() -> String {
        let number = counter.add(1, ordering: .relaxed).newValue
        return "pl\(getpid())x\(number)"
    }

    /// Builds a lab (`lab.sh up`), owned by this process: a lab whose owner has died is removed by
    /// the next `lab.sh up` or `lab.sh gc`.
    ///
    /// - Throws: ``LabError`` `.unavailable` when the lab cannot run here (see
    ///   ``availability``), `.commandFailed` when `lab.sh` fails.
    public static func up(prefix: String = Lab.uniquePrefix()) throws -> Lab {
        let (canRun, reason) = availability
        guard canRun else {
            let why = isRequired ? "PROBED_REQUIRE_LAB=1 but the lab cannot run: " : "the lab cannot run: "
            throw LabError(.unavailable, why + reason)
        }
        try runLabScript(["up", prefix])
        return Lab(prefix: prefix)
    }

    /// Removes the lab (`lab.sh down`), killing whatever still runs inside its namespaces.
    public func down() throws {
        try Lab.runLabScript(["down", prefix])
    }

    /// Builds a fresh lab, runs `body` with it (also as ``current``), and removes the lab
    /// afterwards, also when `body` throws.
    ///
    /// - Throws: what `body` throws (a failure to remove the lab is then secondary), or a
    ///   ``LabError`` from building or removing the lab.
    public static func withLab<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Lab) async throws -> T
    ) async throws -> T {
        let lab = try up()
        let result: T
        do {
            result = try await $current.withValue(lab) { try await body(lab) }
        } catch {
            try? lab.down()
            throw error
        }
        try lab.down()
        return result
    }

    /// Whether namespaces of this lab's prefix exist now (from `/run/netns`).
    public func existingNamespaces() -> [String] {
        namespaces.filter { access("/run/netns/\($0)", F_OK) == 0 }
    }

    static func runLabScript(_ arguments: [String]) throws {
        let environment = ["LAB_OWNER_PID": String(getpid())]
        let command = ["bash", labScript.path] + arguments
        let (termination, output) = try ChildProcess.run(command, environment: environment, timeout: .seconds(120))
        guard termination == .exited(0) else {
            throw LabError(
                .commandFailed,
                "lab.sh \(arguments.joined(separator: " ")) failed (\(termination)): "
                    + output)
        }
    }
}
