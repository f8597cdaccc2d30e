/// Where `database_url` puts the analytics database.
public enum DatabaseLocation: Sendable, Hashable {
    /// `sqlite://analytics.db`: a path relative to the state directory.
    case relative(String)
    /// `sqlite:///var/lib/cco/analytics.db`.
    case absolute(String)
    /// `sqlite::memory:`: nothing on disk.
    case memory

    /// Parses one of the three accepted forms; anything else is `nil`.
    public init?(url: String) {
        if url == "sqlite::memory:" { self = .memory; return }
        guard url.hasPrefix("sqlite://") else { return nil }
        let path = String(url.dropFirst("sqlite://".count))
        guard !path.isEmpty, !path.hasSuffix("/"), !path.contains("\0") else { return nil }
        self = path.hasPrefix("/") ? .absolute(path) : .relative(path)
    }

    /// The path to open: relative paths in the state directory, `:memory:` for the in-memory form.
    public func path(in paths: CCOPaths) -> String {
        switch self {
        case .relative(let path): paths.resolve(path)
        case .absolute(let path): path
        case .memory: ":memory:"
        }
    }
}
