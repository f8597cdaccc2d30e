/// What became of a notification.
public enum NotifyOutcome: Sendable, Hashable {
    /// The message was delivered to `$NOTIFY_SOCKET`.
    case sent
    /// `$NOTIFY_SOCKET` is not set: nobody is listening, which is normal outside a service manager.
    case notSupported
}
