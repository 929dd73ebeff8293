import CProbeSys
import Glibc

/// The Unix socket file the daemon binds when systemd did not hand it one: checks before binding
/// that no live daemon listens there, sets its mode and group after, and removes it on exit.
package struct SocketPath: Sendable {
    package let path: String

    package init(_ path: String) {
        self.path = path
    }

    /// Makes the path bindable: creates a missing parent directory, refuses a path where a live
    /// server accepts connections or that is not a socket, and removes a stale socket file.
    package func prepare() throws(QueryServerError) {
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw QueryServerError.socketPath(path, "the path is longer than a Unix socket address allows (107 bytes)")
        }
        let parent = parentDirectory
        var status = stat()
        if stat(parent, &status) != 0 {
            if mkdir(parent, 0o755) != 0 && errno != EEXIST {
                throw QueryServerError.socketPath(path, "cannot create its directory \(parent): \(describeErrno(errno))")
            }
        }
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw QueryServerError.socketPath(path, "it exists and is not a socket; refusing to replace it")
        }
        switch probeListener() {
        case .listening:
            throw QueryServerError.socketPath(path, "another process (probably a running probed) is listening on it; stop it first")
        case .stale:
            if unlink(path) != 0 && errno != ENOENT {
                throw QueryServerError.socketPath(path, "cannot remove the stale socket file: \(describeErrno(errno))")
            }
        }
    }

    /// Sets the socket file's mode and, when given, its group.
    package func applyPermissions(mode: UInt32, group: UInt32?) throws(QueryServerError) {
        if chmod(path, mode_t(mode)) != 0 {
            throw QueryServerError.socketPath(path, "chmod \(String(mode, radix: 8)) failed: \(describeErrno(errno))")
        }
        if let group, chown(path, uid_t.max, gid_t(group)) != 0 {
            throw QueryServerError.socketPath(path, "chown to group \(group) failed: \(describeErrno(errno))")
        }
    }

    /// The identity of the socket file now (to remove only our own file on exit).
    package func identity() -> (device: UInt64, inode: UInt64)? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }

    /// Removes the socket file if it is still the one we created.
    package func remove(ifIdentity expected: (device: UInt64, inode: UInt64)?) {
        guard let expected, let current = identity(), current == expected else { return }
        unlink(path)
    }

    private var parentDirectory: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = path[..<slash]
        return parent.isEmpty ? "/" : String(parent)
    }

    private enum ListenerState { case listening, stale }

    /// Connects to the path: a server that accepts is live; ECONNREFUSED (or anything else) is stale.
    private func probeListener() -> ListenerState {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .stale }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0 ? .listening : .stale
    }
}

func describeErrno(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}
