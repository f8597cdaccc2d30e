/// A unit's `ActiveState`: whether it runs, in systemd's own words.
///
/// Related documentation: `org.freedesktop.systemd1(5)`, "ActiveState".
public enum ActiveState: Sendable, Hashable, CustomStringConvertible {
    case active, reloading, inactive, failed, activating, deactivating
    /// systemd 248 and later, while a unit's resources are cleaned up.
    case maintenance
    /// systemd 250 and later, while a unit's mount namespace is refreshed.
    case refreshing
    /// A word this binding does not know (a newer systemd), kept as sent.
    case other(String)

    public init(_ word: String) {
        switch word {
        case "active": self = .active
        case "reloading": self = .reloading
        case "inactive": self = .inactive
        case "failed": self = .failed
        case "activating": self = .activating
        case "deactivating": self = .deactivating
        case "maintenance": self = .maintenance
        case "refreshing": self = .refreshing
        default: self = .other(word)
        }
    }

    /// The word as systemd spells it.
    public var description: String {
        switch self {
        case .active: "active"
        case .reloading: "reloading"
        case .inactive: "inactive"
        case .failed: "failed"
        case .activating: "activating"
        case .deactivating: "deactivating"
        case .maintenance: "maintenance"
        case .refreshing: "refreshing"
        case .other(let word): word
        }
    }

    /// The unit's process runs and serves: `active`, or `reloading` (it keeps serving meanwhile).
    public var isRunning: Bool { self == .active || self == .reloading }

    /// Nothing runs and no job is moving it: `inactive` or `failed`.
    public var isStopped: Bool { self == .inactive || self == .failed }
}

/// A unit's `LoadState`: whether the manager has its file.
public enum LoadState: Sendable, Hashable, CustomStringConvertible {
    case loaded, notFound, badSetting, error, masked, stub, merged
    case other(String)

    public init(_ word: String) {
        switch word {
        case "loaded": self = .loaded
        case "not-found": self = .notFound
        case "bad-setting": self = .badSetting
        case "error": self = .error
        case "masked": self = .masked
        case "stub": self = .stub
        case "merged": self = .merged
        default: self = .other(word)
        }
    }

    public var description: String {
        switch self {
        case .loaded: "loaded"
        case .notFound: "not-found"
        case .badSetting: "bad-setting"
        case .error: "error"
        case .masked: "masked"
        case .stub: "stub"
        case .merged: "merged"
        case .other(let word): word
        }
    }
}
