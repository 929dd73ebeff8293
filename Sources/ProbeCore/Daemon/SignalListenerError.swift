import Glibc

/// The signal listener could not be set up.
package struct SignalListenerError: Error, CustomStringConvertible {
    /// The `errno` of the failed `signalfd` or `eventfd`.
    package let errno: Int32
    package var description: String { "cannot receive signals: \(String(cString: strerror(errno)))" }
}
