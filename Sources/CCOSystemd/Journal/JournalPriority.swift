/// syslog priorities as the journal's `PRIORITY=` field takes them.
public enum JournalPriority: Int, Sendable, Comparable, CaseIterable {
    case emergency = 0, alert, critical, error, warning, notice, info, debug

    public static func < (l: Self, r: Self) -> Bool { l.rawValue < r.rawValue }
}
