#if canImport(Glibc)
import Glibc
#endif
public import SystemPackage

/// Writing structured entries to the systemd journal.
public enum Journal {
    /// Sends one entry with `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER` and any further fields
    /// (`CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, `CCO_REQUEST_ID`, …). Field names must be uppercase
    /// letters, digits and underscores, not starting with an underscore; others are dropped here,
    /// as journald would drop them.
    ///
    /// - Throws: `Errno` when the entry could not be handed to journald. Note that libsystemd reports
    ///   success when no journald listens at all.
    ///
    /// The corresponding C function is `sd_journal_sendv(3)` (the variadic `sd_journal_send` cannot be
    /// called from Swift).
    /// Related documentation: <https://www.freedesktop.org/software/systemd/man/sd_journal_print.html>
    public static func send(
        _ message: String, priority: JournalPriority, identifier: String, fields: [(String, String)] = []
    ) throws(Errno) {
        var entries = ["MESSAGE=" + message, "PRIORITY=\(priority.rawValue)", "SYSLOG_IDENTIFIER=" + identifier]
        for (name, value) in fields where isValidFieldName(name) {
            entries.append(name + "=" + value)
        }
        #if os(Linux)
        let buffers = entries.map { Array($0.utf8) }
        let r = systemd_journal_sendv(buffers)
        if case .failure(let errno) = valueOrNegativeErrno(r) { throw errno }
        #endif
    }

    /// `[A-Z0-9_]+`, not starting with `_` (trusted fields are set by journald only), at most 64 bytes.
    public static func isValidFieldName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "_"), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    /// True when stderr is connected to the journal (systemd sets `$JOURNAL_STREAM` to the device and
    /// inode of the stream it hands the service), so that native journal logging replaces the stream.
    public static func stderrIsJournalStream(environment value: String?) -> Bool {
        guard let value, let colon = value.firstIndex(of: ":"),
              let device = UInt64(value[..<colon]), let inode = UInt64(value[value.index(after: colon)...]) else { return false }
        var st = stat()
        guard system_fstat(STDERR_FILENO, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }
}
