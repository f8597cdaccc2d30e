public import SystemPackage

/// One descriptor that the service manager passed to this process: a socket of a `.socket` unit, or
/// one the service put in its file descriptor store (`FDSTORE=1`) before a restart.
public struct ListenFD: Sendable, Hashable {
    /// The descriptor number, from 3 (`SD_LISTEN_FDS_START`) up.
    public let fd: CInt
    /// `FileDescriptorName=` of the socket unit (its unit name by default), or the `FDNAME=` it was
    /// stored under.
    public let name: String

    public init(fd: CInt, name: String) {
        self.fd = fd
        self.name = name
    }

    /// Whether the descriptor is a listening TCP socket (IPv4 or IPv6).
    ///
    /// The corresponding C function is `sd_is_socket_inet(3)`.
    public var isListeningTCPSocket: Bool {
        #if os(Linux)
        systemd_is_listening_inet_stream(fd) > 0
        #else
        false
        #endif
    }
}

/// Socket activation: the descriptors passed in `$LISTEN_FDS` / `$LISTEN_FDNAMES` when `$LISTEN_PID`
/// is this process.
public enum ListenFDs {
    /// Takes the passed descriptors (marking them close-on-exec) and unsets the three variables, so
    /// that no child process believes they are meant for it.
    ///
    /// - Returns: the descriptors in order; empty when none were passed to this process.
    /// - Throws: `Errno` when the variables are malformed.
    ///
    /// The corresponding C function is `sd_listen_fds_with_names(3)`.
    /// Related documentation: <https://www.freedesktop.org/software/systemd/man/sd_listen_fds.html>
    public static func take() throws(Errno) -> [ListenFD] {
        #if os(Linux)
        let (count, names) = systemd_listen_fds_with_names(true)
        switch valueOrNegativeErrno(count) {
        case .failure(let errno): throw errno
        case .success(let count):
            return (0 ..< count).map { ListenFD(fd: 3 + $0, name: $0 < names.count ? names[Int($0)] : "unknown") }
        }
        #else
        return []
        #endif
    }
}
