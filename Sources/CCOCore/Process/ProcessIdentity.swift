#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `/proc/PID/stat` says about a process: enough to tell one process from a later one that
/// reuses its pid.
public struct ProcessIdentity: Sendable, Hashable {
    public let pid: Int32
    /// Field 3: R, S, D, Z (exited, not yet reaped), T, …
    public let state: Character
    /// Field 22: start time in clock ticks after boot; unique per pid over the machine's uptime.
    public let startTime: UInt64
    /// Field 2 without the parentheses: the executable's name, at most 15 bytes.
    public let command: String

    /// Reads `/proc/PID/stat`; `nil` when no such process exists (or on a system without procfs).
    public static func of(pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let bytes = try? FileSystem.readIfExists("/proc/\(pid)/stat") else { return nil }
        return parse(stat: String(decoding: bytes, as: UTF8.self), pid: pid)
    }

    /// This process.
    public static func current() -> ProcessIdentity? {
        of(pid: getpid())
    }

    /// Parses the text of `/proc/PID/stat`. The command may itself contain spaces and parentheses,
    /// so fields are counted from the last `)`.
    static func parse(stat: String, pid: Int32) -> ProcessIdentity? {
        guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
        let command = String(stat[stat.index(after: open) ..< close])
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return ProcessIdentity(pid: pid, state: state, startTime: start, command: command)
    }

    /// True while the process runs; a zombie has exited and counts as gone.
    public var isAlive: Bool { state != "Z" && state != "X" }
}
