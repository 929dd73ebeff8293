import ArgumentParser
import Glibc

/// The options every command takes: where the daemon listens and how to print.
struct GlobalOptions: ParsableArguments {
    /// The socket path when neither `--socket` nor `PROBED_SOCKET` names one.
    static let defaultSocketPath = "/run/probed/probed.sock"
    /// The environment variable that names the socket.
    static let socketEnvironmentVariable = "PROBED_SOCKET"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The daemon's Unix socket (default: $\(GlobalOptions.socketEnvironmentVariable), "
                + "else \(GlobalOptions.defaultSocketPath)).",
            valueName: "path"
        )
    )
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's JSON answer lines as they are, instead of aligned text.")
    var json = false

    /// The socket to connect to: `--socket`, else `PROBED_SOCKET` (when set and not empty), else the default.
    var socketPath: String {
        if let socket { return socket }
        if let variable = getenv(Self.socketEnvironmentVariable) {
            let value = String(cString: variable)
            if !value.isEmpty { return value }
        }
        return Self.defaultSocketPath
    }

    /// Opens a connection to the daemon.
    func connect() throws(ClientError) -> DaemonConnection {
        try DaemonConnection(path: socketPath)
    }
}
