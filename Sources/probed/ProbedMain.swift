import ArgumentParser
import ProbeCore

/// The process's entry point: ``DaemonProcess`` sets the process up (signals, executor), then
/// the command runs.
@main
enum ProbedMain {
    static func main() {
        DaemonProcess.run { await ProbedCommand.main() }
    }
}
