/// An error of the test lab: what went wrong, with the code to match on and a message that says
/// what to do about it.
public struct LabError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case unavailable, notInLab, commandFailed, namespace, spawn, timeout, exited, socket
        }

        private let value: Value

        /// The lab cannot run here (not root, a tool missing) but a test needs it.
        public static let unavailable = Code(value: .unavailable)
        /// `Lab.required` was read outside a lab scope.
        public static let notInLab = Code(value: .notInLab)
        /// A command (such as `lab.sh`) exited unsuccessfully.
        public static let commandFailed = Code(value: .commandFailed)
        /// Entering or leaving a network namespace failed.
        public static let namespace = Code(value: .namespace)
        /// A process could not be started.
        public static let spawn = Code(value: .spawn)
        /// A wait ran out of time.
        public static let timeout = Code(value: .timeout)
        /// A process exited before it printed what was awaited.
        public static let exited = Code(value: .exited)
        /// A socket operation of a lab helper failed.
        public static let socket = Code(value: .socket)

        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened, for a person.
    public var message: String
    /// The system error number (`errno`) behind it, where there is one.
    public var systemError: Int32?

    public init(_ code: Code, _ message: String, systemError: Int32? = nil) {
        self.code = code
        self.message = message
        self.systemError = systemError
    }

    public var description: String { "LabError(\(code)): \(message)" }
}
