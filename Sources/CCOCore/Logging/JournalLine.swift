#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
public import CCOSystemd

/// One journal entry in the same shape as a line of `daemon.log`: what `cco daemon logs` and the
/// dashboard show under systemd.
public enum JournalLine {
    public static func format(_ entry: JournalEntry) -> String {
        let seconds = Double(entry.realtimeMicroseconds) / 1e6
        let level = switch entry.priority {
        case .debug?: "debug"
        case .info?: "info"
        case .notice?: "notice"
        case .warning?: "warning"
        case .error?: "error"
        case .critical?, .alert?, .emergency?: "critical"
        case nil: "info"
        }
        return "\(Date(timeIntervalSince1970: seconds).formatted(.iso8601)) \(level) \(entry.identifier ?? "?"): \(entry.message)"
    }
}
