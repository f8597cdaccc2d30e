#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The running daemon, as recorded in `daemon.pid` (JSON).
public struct PIDRecord: Codable, Sendable, Hashable {
    public var pid: Int32
    public var host: String
    /// The port actually bound (the real one when the config says 0).
    public var port: Int
    public var version: String
    public var startedAt: Date
    /// `/proc/PID/stat` field 22 of the daemon, which tells it apart from a later process with its pid.
    public var processStartTime: UInt64
    /// `--host`/`--port` the daemon was started with, which a plain `cco daemon restart` keeps; nil
    /// when the config alone chose its address.
    public var overrides: DaemonArguments.Overrides?

    enum CodingKeys: String, CodingKey {
        case pid, host, port, version, overrides
        case startedAt = "started_at"
        case processStartTime = "process_start_time"
    }

    public init(pid: Int32, host: String, port: Int, version: String, startedAt: Date, processStartTime: UInt64,
                overrides: DaemonArguments.Overrides? = nil) {
        self.pid = pid
        self.host = host
        self.port = port
        self.version = version
        self.startedAt = startedAt
        self.processStartTime = processStartTime
        self.overrides = overrides
    }

    public var baseURL: String { DaemonConfig.baseURL(host: host, port: port) }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding these plain fields cannot fail.
        return Array((try? encoder.encode(self)) ?? Data()) + [UInt8(ascii: "\n")]
    }

    public static func decode(_ bytes: [UInt8]) -> PIDRecord? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(PIDRecord.self, from: Data(bytes))
    }

    /// True when `identity` is the very process this record describes (same pid and start time).
    public func matches(_ identity: ProcessIdentity?) -> Bool {
        guard let identity else { return false }
        return identity.pid == pid && identity.startTime == processStartTime
    }
}
