#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging

/// A swift-log handler that writes one line per message to a ``RotatingLogFile``:
/// `2026-11-25T09:14:03.123Z info cco: listening on http://127.0.0.1:3000 port=3000`.
public struct RotatingFileLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public let label: String
    private let file: RotatingLogFile
    private let setting: LogLevelSetting

    public init(label: String, file: RotatingLogFile, level: LogLevelSetting) {
        self.label = label
        self.file = file
        self.setting = level
    }

    public init(label: String, file: RotatingLogFile, level: Logger.Level) {
        self.init(label: label, file: file, level: LogLevelSetting(level))
    }

    /// The label of a process's lines, `cco[4242]`: the pid tells two daemons apart while one hands
    /// over to the next (both write to the same file).
    public static func processLabel(_ label: String, pid: Int32) -> String {
        "\(label)[\(pid)]"
    }

    /// The message (with its metadata) of a line written under ``processLabel(_:pid:)`` by `pid`,
    /// or nil for another process's line.
    public static func message(of line: String, writtenBy pid: Int32) -> Substring? {
        guard let range = line.firstRange(of: "[\(pid)]: ") else { return nil }
        return line[range.upperBound...]
    }

    /// Shared with the daemon's other handlers: a reload changes it for all of them.
    public var logLevel: Logger.Level {
        get { setting.level }
        set { setting.set(newValue) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
        source: String, file: String, function: String, line: UInt
    ) {
        var text = Self.timestamp() + " " + level.rawValue + " " + label + ": " + message.description.replacingNewlines()
        for (key, value) in metadata.merged(with: explicit) {
            text += " \(key)=\(value)"
        }
        text += "\n"
        self.file.write(Array(text.utf8))
    }

    /// UTC, millisecond precision, ISO 8601.
    static func timestamp() -> String {
        var ts = timespec()
        system_clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        system_gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }
}

extension Logger.Metadata {
    /// The handler's metadata with a log call's own on top, ordered by key for stable output.
    func merged(with explicit: Logger.Metadata?) -> [(key: String, value: Logger.Metadata.Value)] {
        let all = explicit.map { merging($0) { _, new in new } } ?? self
        return all.sorted { $0.key < $1.key }
    }
}

extension LogLevelName {
    /// The swift-log level for this config value.
    public var loggerLevel: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .warn: .warning
        case .error: .error
        }
    }
}

extension String {
    /// One log record is one line.
    fileprivate func replacingNewlines() -> String {
        contains("\n") ? split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\n") : self
    }
}
