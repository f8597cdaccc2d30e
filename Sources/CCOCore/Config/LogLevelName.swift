/// The `log_level` values the config accepts.
public enum LogLevelName: String, Sendable, CaseIterable, Hashable {
    case trace, debug, info, warn, error
}
