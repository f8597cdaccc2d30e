public import SystemPackage

/// A failed D-Bus call: the D-Bus error name and message when the peer sent one, and the errno.
public struct BusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// e.g. `org.freedesktop.systemd1.NoSuchUnit`; nil for local failures (no bus, timeout).
    public let name: String?
    public let message: String?
    public let errno: Errno
    /// What was being done, e.g. `StartUnit cco-daemon.service`.
    public let operation: String

    public init(name: String?, message: String?, errno: Errno, operation: String) {
        self.name = name
        self.message = message
        self.errno = errno
        self.operation = operation
    }

    public var description: String {
        "\(operation): \(message ?? "\(errno)")\(name.map { " (\($0))" } ?? "")"
    }

    /// True when no bus could be reached at all (no session: sudo, ssh without lingering, a container).
    public var isBusUnreachable: Bool {
        name == nil && [Errno.noSuchFileOrDirectory, .connectionRefused, .noMedium, .permissionDenied].contains(errno)
    }
}

extension Errno {
    /// ENOMEDIUM: sd_bus_open_user's answer when there is no user session to find a bus in.
    static var noMedium: Errno { Errno(rawValue: 123) }
}
