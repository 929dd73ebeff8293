import Glibc

extension Lab {
    /// Runs `body` with the current thread inside network namespace `namespace`, then switches the
    /// thread back to the namespace it was in, also when `body` throws.
    ///
    /// Sockets opened inside `body` belong to that namespace for their whole life, whichever
    /// thread uses them later: open the code under test's sockets here (a raw `socket()` whose
    /// descriptor is then handed to the engine), and run the rest anywhere.
    ///
    /// Only the calling thread moves: keep `body` synchronous and short, and start no threads in
    /// it (a new thread would inherit the namespace). An event loop that opens its own sockets on
    /// its own threads (SwiftNIO's bootstraps) does not see the namespace: hand it descriptors
    /// opened here, or run the daemon in the namespace with ``LabProcess``.
    ///
    /// - Parameters:
    ///   - namespace: a name under `/run/netns`, such as ``dut``.
    ///   - body: the code to run inside.
    /// - Throws: ``LabError`` `.namespace` when the namespace cannot be entered, or what `body`
    ///   throws. Failing to switch back is fatal (the thread would be left in the lab).
    public func withNamespace<T>(_ namespace: String, _ body: () throws -> T) throws -> T {
        try Lab.withNamespace(namespace, body)
    }

    /// Runs `body` inside network namespace `namespace`; see ``withNamespace(_:_:)-swift.method``.
    public static func withNamespace<T>(_ namespace: String, _ body: () throws -> T) throws -> T {
        guard let setns = Self.setns else {
            throw LabError(.namespace, "setns is not available in this C library")
        }
        let target = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
        guard target >= 0 else {
            throw LabError(.namespace, "cannot open /run/netns/\(namespace): \(String(cString: strerror(errno)))")
        }
        defer { close(target) }
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else {
            throw LabError(
                .namespace, "cannot open /proc/thread-self/ns/net: \(String(cString: strerror(errno)))")
        }
        defer { close(original) }
        guard setns(target, cloneNewNet) == 0 else {
            throw LabError(.namespace, "setns(\(namespace)): \(String(cString: strerror(errno)))")
        }
        defer {
            if setns(original, cloneNewNet) != 0 {
                fatalError("cannot switch this thread back from network namespace \(namespace): errno \(errno)")
            }
        }
        return try body()
    }

    /// `CLONE_NEWNET`, which Glibc's Swift module does not export.
    private static let cloneNewNet: Int32 = 0x4000_0000

    private typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32

    /// `setns(2)`, which Glibc's Swift module does not export (it needs `_GNU_SOURCE`).
    private static let setns: SetNamespace? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "setns") else { return nil }
        return unsafeBitCast(symbol, to: SetNamespace.self)
    }()
}
