/// One assignment of the service notification protocol, as sent by `sd_notify(3)`.
///
/// The protocol strings are typed here so that no call site spells `"READY=1"` by hand.
public enum NotifyState: Sendable, Hashable {
    /// Start-up is finished: `READY=1`.
    case ready
    /// The service is reloading its configuration: `RELOADING=1`, which systemd ≥ 253 requires
    /// together with ``monotonicUsec(_:)``.
    case reloading
    /// The service is beginning its shutdown: `STOPPING=1`.
    case stopping
    /// A free-form status line shown by `systemctl status`: `STATUS=…`.
    case status(String)
    /// Keep-alive ping for the service watchdog: `WATCHDOG=1`.
    case watchdog
    /// Ask the service manager to act as if the watchdog timed out: `WATCHDOG=trigger`.
    case watchdogTrigger
    /// The errno-style error the service failed with: `ERRNO=…`.
    case errno(CInt)
    /// The main process of the service: `MAINPID=…`.
    case mainPID(CInt)
    /// The `CLOCK_MONOTONIC` timestamp in microseconds that goes with ``reloading``: `MONOTONIC_USEC=…`.
    case monotonicUsec(UInt64)
    /// Extend the current start, reload or stop timeout: `EXTEND_TIMEOUT_USEC=…`.
    case extendTimeoutUsec(UInt64)
    /// Keep the descriptors sent with this message in the service's file descriptor store, to be
    /// passed back (`$LISTEN_FDS`) after a restart: `FDSTORE=1`.
    case fdStore
    /// Remove the stored descriptors named by ``fdName(_:)`` from the store: `FDSTOREREMOVE=1`.
    case fdStoreRemove
    /// The name the stored descriptors get in `$LISTEN_FDNAMES`: `FDNAME=…`.
    case fdName(String)

    /// The `KEY=value` line this state is sent as.
    public var assignment: String {
        switch self {
        case .ready: "READY=1"
        case .reloading: "RELOADING=1"
        case .stopping: "STOPPING=1"
        case .status(let text): "STATUS=" + text.replacingNewlines()
        case .watchdog: "WATCHDOG=1"
        case .watchdogTrigger: "WATCHDOG=trigger"
        case .errno(let code): "ERRNO=\(code)"
        case .mainPID(let pid): "MAINPID=\(pid)"
        case .monotonicUsec(let usec): "MONOTONIC_USEC=\(usec)"
        case .extendTimeoutUsec(let usec): "EXTEND_TIMEOUT_USEC=\(usec)"
        case .fdStore: "FDSTORE=1"
        case .fdStoreRemove: "FDSTOREREMOVE=1"
        case .fdName(let name): "FDNAME=" + name.replacingNewlines()
        }
    }

    /// Parses one `KEY=value` line received on a notification socket; unknown keys give `nil`.
    public init?(assignment line: Substring) {
        guard let eq = line.firstIndex(of: "=") else { return nil }
        let key = line[..<eq]
        let value = String(line[line.index(after: eq)...])
        switch key {
        case "READY" where value == "1": self = .ready
        case "RELOADING" where value == "1": self = .reloading
        case "STOPPING" where value == "1": self = .stopping
        case "STATUS": self = .status(value)
        case "WATCHDOG" where value == "1": self = .watchdog
        case "WATCHDOG" where value == "trigger": self = .watchdogTrigger
        case "ERRNO": guard let code = CInt(value) else { return nil }; self = .errno(code)
        case "MAINPID": guard let pid = CInt(value) else { return nil }; self = .mainPID(pid)
        case "MONOTONIC_USEC": guard let v = UInt64(value) else { return nil }; self = .monotonicUsec(v)
        case "EXTEND_TIMEOUT_USEC": guard let v = UInt64(value) else { return nil }; self = .extendTimeoutUsec(v)
        case "FDSTORE" where value == "1": self = .fdStore
        case "FDSTOREREMOVE" where value == "1": self = .fdStoreRemove
        case "FDNAME": self = .fdName(value)
        default: return nil
        }
    }

    /// Parses a whole notification datagram (newline-separated assignments).
    public static func parse(message: String) -> [NotifyState] {
        message.split(separator: "\n").compactMap { NotifyState(assignment: $0) }
    }
}

extension String {
    /// A STATUS= value is one line of the datagram; a newline in it would start a new assignment.
    fileprivate func replacingNewlines() -> String {
        String(self.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
