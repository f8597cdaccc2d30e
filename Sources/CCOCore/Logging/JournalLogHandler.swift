public import Logging
import CCOSystemd

/// A swift-log handler that writes native journal entries: `MESSAGE`, `PRIORITY`,
/// `SYSLOG_IDENTIFIER=cco`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, and each metadata key as a
/// `CCO_…` field (`request_id` → `CCO_REQUEST_ID`), so `journalctl -o verbose` can filter on them.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public let label: String
    private let setting: LogLevelSetting

    public init(label: String, level: LogLevelSetting) {
        self.label = label
        self.setting = level
    }

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
        var fields: [(String, String)] = [("CODE_FILE", file), ("CODE_LINE", String(line)), ("CODE_FUNC", function), ("CCO_LOGGER", label)]
        for (key, value) in metadata.merged(with: explicit) {
            fields.append((Self.fieldName(key), "\(value)"))
        }
        // Nothing useful can be done when journald refuses an entry; the stream still has stderr.
        try? Journal.send(message.description, priority: Self.priority(level), identifier: "cco", fields: fields)
    }

    /// `request.id` → `CCO_REQUEST_ID`.
    static func fieldName(_ key: String) -> String {
        "CCO_" + String(key.uppercased().map { ($0.isLetter && $0.isASCII) || ($0.isNumber && $0.isASCII) ? $0 : "_" })
    }

    static func priority(_ level: Logger.Level) -> JournalPriority {
        switch level {
        case .trace, .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
