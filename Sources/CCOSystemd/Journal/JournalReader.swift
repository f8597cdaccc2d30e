public import SystemPackage

/// One journal entry as `cco daemon logs` shows it.
public struct JournalEntry: Sendable, Hashable {
    public let realtimeMicroseconds: UInt64
    public let priority: JournalPriority?
    public let identifier: String?
    public let message: String
    /// The value of each requested extra field present in the entry.
    public let fields: [String: String]
}

/// Reads the journal: the last entries of a unit, then following new ones.
///
/// The corresponding C functions are `sd_journal_open(3)`, `sd_journal_add_match(3)`,
/// `sd_journal_seek_tail(3)`, `sd_journal_next(3)`, `sd_journal_wait(3)`.
public final class JournalReader {
    private let handle: OpaquePointer
    private let extraFields: [String]

    /// Opens the journal files of the current user (and the system's, as `journalctl --user` reads).
    ///
    /// - Throws: `Errno` from `sd_journal_open`.
    public init(currentUser: Bool = true, extraFields: [String] = []) throws(Errno) {
        #if os(Linux)
        var journal: OpaquePointer?
        let flags = systemd_journal_local_only | (currentUser ? systemd_journal_current_user : 0)
        if case .failure(let errno) = valueOrNegativeErrno(systemd_journal_open(&journal, flags)) { throw errno }
        handle = journal!
        self.extraFields = extraFields
        #else
        throw Errno.notSupported
        #endif
    }

    deinit {
        #if os(Linux)
        systemd_journal_close(handle)
        #endif
    }

    /// Restricts reading to a user unit: its own output (`_SYSTEMD_USER_UNIT=`) and what the manager
    /// logs about it (`USER_UNIT=`), as `journalctl --user -u UNIT` does.
    public func matchUserUnit(_ unit: String) throws(Errno) {
        #if os(Linux)
        try check(systemd_journal_add_match(handle, "_SYSTEMD_USER_UNIT=" + unit))
        try check(systemd_journal_add_disjunction(handle))
        try check(systemd_journal_add_match(handle, "USER_UNIT=" + unit))
        #endif
    }

    /// The last `count` entries, oldest first; ``next()`` continues after them.
    public func last(_ count: Int) throws(Errno) -> [JournalEntry] {
        #if os(Linux)
        try check(systemd_journal_seek_tail(handle))
        // From the tail, previous_skip(N) lands ON the N-th last entry (or the first, if fewer).
        guard count > 0, try value(systemd_journal_previous_skip(handle, UInt64(count))) > 0 else { return [] }
        var entries = [current()]
        while let entry = try next() { entries.append(entry) }
        return entries
        #else
        return []
        #endif
    }

    /// The next entry after the current position, or `nil` at the end.
    public func next() throws(Errno) -> JournalEntry? {
        #if os(Linux)
        guard try value(systemd_journal_next(handle)) > 0 else { return nil }
        return current()
        #else
        return nil
        #endif
    }

    #if os(Linux)
    private func current() -> JournalEntry {
        var usec: UInt64 = 0
        _ = systemd_journal_get_realtime_usec(handle, &usec)
        let text = { (field: String) in systemd_journal_get_data(self.handle, field).map { String(decoding: $0, as: UTF8.self) } }
        var fields: [String: String] = [:]
        for name in extraFields { fields[name] = text(name) }
        return JournalEntry(
            realtimeMicroseconds: usec,
            priority: text("PRIORITY").flatMap { Int($0) }.flatMap(JournalPriority.init(rawValue:)),
            identifier: text("SYSLOG_IDENTIFIER"),
            message: text("MESSAGE") ?? "",
            fields: fields)
    }
    #endif

    /// Waits up to `timeout` for the journal to change (new entries, rotation).
    public func wait(timeout: Duration) throws(Errno) {
        #if os(Linux)
        let usec = UInt64(timeout.components.seconds) * 1_000_000 + UInt64(timeout.components.attoseconds / 1_000_000_000_000)
        try check(systemd_journal_wait(handle, usec))
        #endif
    }

    private func check(_ r: CInt) throws(Errno) {
        if case .failure(let errno) = valueOrNegativeErrno(r) { throw errno }
    }

    private func value(_ r: CInt) throws(Errno) -> Int {
        switch valueOrNegativeErrno(r) {
        case .failure(let errno): throw errno
        case .success(let v): return Int(v)
        }
    }
}

@available(*, unavailable)
extension JournalReader: Sendable {}
