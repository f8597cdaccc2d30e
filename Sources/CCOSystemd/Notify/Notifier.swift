public import SystemPackage

/// Sends service state changes to the service manager (systemd, or `cco daemon start`, which speaks
/// the same protocol).
public enum Notifier {
    /// Tells the service manager about one or more state changes, in a single datagram.
    ///
    /// - Parameter states: the assignments to send, e.g. `.ready, .status("listening on …")`.
    /// - Returns: ``NotifyOutcome/sent``, or ``NotifyOutcome/notSupported`` when `$NOTIFY_SOCKET` is unset.
    /// - Throws: `Errno` if the socket is set but the message could not be delivered.
    ///
    /// The corresponding C function is `sd_notify(3)`.
    /// Related documentation: <https://www.freedesktop.org/software/systemd/man/sd_notify.html>
    @discardableResult
    public static func notify(_ states: NotifyState...) throws(Errno) -> NotifyOutcome {
        try notify(states)
    }

    /// Array form of ``notify(_:)-(NotifyState...)``.
    ///
    /// - Parameter unsetEnvironment: remove `$NOTIFY_SOCKET` from the environment after sending, so
    ///   later notifications are ``NotifyOutcome/notSupported`` (for a listener that only waits for
    ///   readiness and then goes away).
    @discardableResult
    public static func notify(_ states: [NotifyState], unsetEnvironment: Bool = false) throws(Errno) -> NotifyOutcome {
        let message = states.map(\.assignment).joined(separator: "\n")
        #if os(Linux)
        return try outcome(message.withCString { systemd_notify(unsetEnvironment, $0) })
        #else
        return .notSupported
        #endif
    }

    /// Sends `states` with `fds` attached, as `FDSTORE=1` needs: systemd keeps the descriptors while
    /// the service restarts (up to `FileDescriptorStoreMax=`).
    ///
    /// - Returns: ``NotifyOutcome/notSupported`` when `$NOTIFY_SOCKET` is unset.
    /// - Throws: `Errno` if the message could not be delivered.
    ///
    /// The corresponding C function is `sd_pid_notify_with_fds(3)`.
    @discardableResult
    public static func notify(_ states: [NotifyState], passing fds: [CInt]) throws(Errno) -> NotifyOutcome {
        let message = states.map(\.assignment).joined(separator: "\n")
        #if os(Linux)
        return try outcome(message.withCString { systemd_notify_with_fds($0, fds) })
        #else
        return .notSupported
        #endif
    }

    #if os(Linux)
    /// sd_notify and its variants return 0 when `$NOTIFY_SOCKET` is unset, > 0 when sent, and
    /// -errno on failure.
    private static func outcome(_ r: CInt) throws(Errno) -> NotifyOutcome {
        switch valueOrNegativeErrno(r) {
        case .failure(let errno): throw errno
        case .success(0): return .notSupported
        case .success: return .sent
        }
    }
    #endif
}
