public import SystemPackage

/// A socket call that failed: which call, on what, and the errno it returned.
public struct SocketError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The system call (`bind`, `listen`, `sendmsg`, …).
    public let call: String
    /// What it was called on: an address, a socket path.
    public let subject: String
    /// `errno` after the call; nil when the failure was not a system call's (a short message).
    public let errno: Errno?
    /// A fixed explanation when `errno` is 0.
    public let reason: String?

    public init(_ call: String, _ subject: String, errno: Errno?, reason: String? = nil) {
        self.call = call
        self.subject = subject
        self.errno = errno
        self.reason = reason
    }

    public var description: String {
        "\(call) \(subject): \(reason ?? errno.map { "\($0)" } ?? "failed")"
    }
}

