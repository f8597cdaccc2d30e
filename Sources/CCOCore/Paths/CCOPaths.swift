#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where cco keeps its state: `$CCO_HOME`, else `~/.cco`.
public struct CCOPaths: Sendable, Hashable {
    /// The state directory (mode 0700).
    public let stateDirectory: String

    public init(stateDirectory: String) {
        self.stateDirectory = stateDirectory.count > 1 && stateDirectory.hasSuffix("/")
            ? String(stateDirectory.dropLast()) : stateDirectory
    }

    /// Resolves the state directory from `CCO_HOME`, else `HOME/.cco`.
    ///
    /// - Throws: ``DaemonError`` with ``DaemonError/Code/environment`` when neither is set.
    public static func resolve(environment: [String: String]) throws(DaemonError) -> CCOPaths {
        if let home = environment["CCO_HOME"], !home.isEmpty {
            return CCOPaths(stateDirectory: absolute(home, environment: environment))
        }
        if let home = environment["HOME"], !home.isEmpty {
            return CCOPaths(stateDirectory: home + "/.cco")
        }
        throw DaemonError(.environment, "neither CCO_HOME nor HOME is set; set CCO_HOME to the directory cco should keep its state in")
    }

    private static func absolute(_ path: String, environment: [String: String]) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/"), let home = environment["HOME"] { return home + path.dropFirst() }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cwd + "/" + path
    }

    public var configFile: String { stateDirectory + "/config.toml" }
    /// JSON record of the running daemon; the daemon writes and removes it.
    public var pidFile: String { stateDirectory + "/daemon.pid" }
    /// Held with an exclusive `flock` by the daemon that accepts connections, from its start until it
    /// exits or hands its listener to the next one (`restart`); never unlinked.
    public var lockFile: String { stateDirectory + "/daemon.lock" }
    /// One ``DrainRecord`` per daemon that no longer accepts and finishes its requests in progress.
    public var drainingDirectory: String { stateDirectory + "/draining" }
    /// The response cache kept across restarts when `cache_persist = true`.
    public var cacheFile: String { stateDirectory + "/cache.db" }
    /// The bearer token of the mutating admin endpoints (``AdminToken``).
    public var adminTokenFile: String { stateDirectory + "/admin.token" }
    /// Model prices stored by `cco pricing update`, read by the daemon at start and on reload.
    public var priceFile: String { stateDirectory + "/prices.json" }
    /// Serialises `cco daemon start|stop|restart` among themselves.
    public var controlLockFile: String { stateDirectory + "/control.lock" }
    /// Where a daemon started by `cco daemon start` offers its listening socket to the process that
    /// `cco daemon restart` starts to replace it.
    public var handoffSocket: String { stateDirectory + "/handoff.sock" }
    public var logsDirectory: String { stateDirectory + "/logs" }
    public var logFile: String { logsDirectory + "/daemon.log" }
    /// The standalone daemon's stdout and stderr (crash reports, anything not logged).
    public var daemonOutputFile: String { logsDirectory + "/daemon.out" }

    /// Creates the state directory and its `logs/` (mode 0700) when missing.
    ///
    /// - Throws: ``DaemonError`` with `.stateDirectory` naming the path that cannot be created.
    public func prepareStateDirectory() throws(DaemonError) {
        do {
            try FileSystem.makeDirectory(stateDirectory, mode: 0o700)
            try FileSystem.makeDirectory(logsDirectory, mode: 0o700)
        } catch {
            throw DaemonError(.stateDirectory, "\(error); choose a writable state directory with CCO_HOME")
        }
    }

    /// Resolves a path from the config: absolute paths stay, relative ones live in the state directory.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : stateDirectory + "/" + path
    }
}
