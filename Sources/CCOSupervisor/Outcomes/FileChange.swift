internal import CCOCore
import SystemPackage

/// How `install` left a service file.
public enum FileChange: String, Sendable, Hashable {
    case written, updated, unchanged

    /// Writes `text` to `path` atomically (mode 0644: the manager reads it) unless it is there already.
    static func write(_ text: String, to path: String) throws -> FileChange {
        let existing = try? FileSystem.readTextIfExists(path)
        let change: FileChange = existing == nil ? .written : (existing == text ? .unchanged : .updated)
        if change != .unchanged { try AtomicFile.write(text, to: path, permissions: [.ownerReadWrite, .groupRead, .otherRead]) }
        return change
    }
}
