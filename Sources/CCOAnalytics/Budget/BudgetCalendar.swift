#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore

/// The calendar windows budgets count in: the local day and the local month holding a moment.
public struct BudgetWindows: Sendable, Hashable {
    /// Local midnight of the day, and of the next day, in milliseconds since the epoch.
    public let dayStart: Int64
    public let nextDay: Int64
    /// Local midnight of the month's first day, and of the next month's.
    public let monthStart: Int64
    public let nextMonth: Int64

    public init(containing milliseconds: Int64) {
        dayStart = Self.localMidnight(of: milliseconds, dayOffset: 0, firstOfMonth: false, monthOffset: 0)
        nextDay = Self.localMidnight(of: milliseconds, dayOffset: 1, firstOfMonth: false, monthOffset: 0)
        monthStart = Self.localMidnight(of: milliseconds, dayOffset: 0, firstOfMonth: true, monthOffset: 0)
        nextMonth = Self.localMidnight(of: milliseconds, dayOffset: 0, firstOfMonth: true, monthOffset: 1)
    }

    /// Whether `milliseconds` falls in these windows' day (and so in their month too).
    public func contains(_ milliseconds: Int64) -> Bool { milliseconds >= dayStart && milliseconds < nextDay }

    /// When the budget of `period` starts again; nil for a session's, which never does.
    public func reset(of period: BudgetPeriod) -> Int64? {
        switch period {
        case .daily: nextDay
        case .monthly: nextMonth
        case .session: nil
        }
    }

    /// mktime normalises day 32 to the next month's first and month 12 to the next year's January,
    /// and finds the right offset across daylight-saving changes (`tm_isdst = -1`).
    static func localMidnight(of milliseconds: Int64, dayOffset: Int32 = 0, firstOfMonth: Bool = false, monthOffset: Int32 = 0) -> Int64 {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        system_localtime_r(&seconds, &parts)
        parts.tm_hour = 0
        parts.tm_min = 0
        parts.tm_sec = 0
        if firstOfMonth { parts.tm_mday = 1 }
        parts.tm_mday += dayOffset
        parts.tm_mon += monthOffset
        parts.tm_isdst = -1
        return Int64(system_mktime(&parts)) * 1000
    }
}

/// Moments as people read them: local time to the minute.
public enum LocalTime {
    /// `2026-12-03`, today.
    public static func today() -> Substring { minute(WallClock.nowMilliseconds()).prefix(10) }

    /// `2026-12-03 00:00`.
    public static func minute(_ milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        system_localtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min))"
    }
}
