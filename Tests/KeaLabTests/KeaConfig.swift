/// A kea-dhcp4 configuration for the lab: Kea listens on the dut's `veth0` (198.51.100.1),
/// multi-threaded with 4 threads, memfile leases, a control socket, logging to stdout.
struct KeaConfig {
    /// Names the lease file, the control socket and the configuration file.
    var name: String
    /// The pool of the lab subnet 198.51.100.0/24.
    var pool = "198.51.100.150 - 198.51.100.199"
    /// The hook's parameters as JSON object members (nil: the hook is not loaded).
    var probed: String? = nil
    /// ping_check's parameters as JSON object members (nil: not loaded).
    var pingCheck: String? = nil
    /// The subnet's user-context (JSON object), if any.
    var subnetContext: String? = nil
    /// The subnet's host reservations (a JSON array), if any.
    var reservations: String? = nil
    /// The logging severity and debug level.
    var severity = "INFO"
    var debugLevel = 0

    var leaseFile: String { "/var/lib/kea/\(name).csv" }
    var controlSocket: String { "/run/kea/\(name).sock" }
    var path: String { "/etc/kea/\(name).json" }

    var json: String {
        var libraries: [String] = []
        if let probed {
            libraries.append(#"{"library": "libdhcp_probed.so", "parameters": {\#(probed)}}"#)
        }
        if let pingCheck {
            libraries.append(#"{"library": "libdhcp_ping_check.so", "parameters": {\#(pingCheck)}}"#)
        }
        let context = (subnetContext.map { #", "user-context": \#($0)"# } ?? "")
            + (reservations.map { #", "reservations": \#($0)"# } ?? "")
        return #"""
            {
              "Dhcp4": {
                "interfaces-config": { "interfaces": ["veth0"], "dhcp-socket-type": "raw" },
                "lease-database": { "type": "memfile", "persist": true, "name": "\#(leaseFile)", "lfc-interval": 0 },
                "multi-threading": { "enable-multi-threading": true, "thread-pool-size": 4, "packet-queue-size": 256 },
                "control-sockets": [{ "socket-type": "unix", "socket-name": "\#(controlSocket)" }],
                "valid-lifetime": 600,
                "renew-timer": 300,
                "rebind-timer": 500,
                "hooks-libraries": [\#(libraries.joined(separator: ", "))],
                "subnet4": [{ "id": 1, "subnet": "198.51.100.0/24", "pools": [{ "pool": "\#(pool)" }]\#(context) }],
                "loggers": [{ "name": "kea-dhcp4", "output-options": [{ "output": "stdout" }],
                              "severity": "\#(severity)", "debuglevel": \#(debugLevel) }]
              }
            }
            """#
    }
}
