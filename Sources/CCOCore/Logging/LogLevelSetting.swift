import Synchronization
public import Logging

/// The daemon's log level, shared by its handlers so that a reload changes it for every logger.
public final class LogLevelSetting: Sendable {
    private let raw: Atomic<UInt8>

    public init(_ level: Logger.Level) {
        raw = Atomic(Self.code(level))
    }

    public var level: Logger.Level {
        get { Logger.Level.allCases[Int(raw.load(ordering: .relaxed))] }
    }

    public func set(_ level: Logger.Level) {
        raw.store(Self.code(level), ordering: .relaxed)
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 2)
    }
}
