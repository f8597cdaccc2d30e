#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import SystemPackage

/// An append-only log file rotated by size: when the next line would take `daemon.log` past
/// `rotationSize`, it becomes `daemon.log.1`, older files shift up by one, and at most `maxFiles`
/// files (the live one included) are kept.
///
/// Each line is written whole by one `system_write(2)` under a lock, and rotation happens between lines, so
/// no line is split, lost or written twice across a rotation.
///
/// A log file deleted or renamed by someone else (an over-eager cleanup, logrotate without
/// `copytruncate`) is noticed within `recheckInterval` and a new `daemon.log` is opened, so logging
/// never continues into an unlinked inode. A file that could not be opened is retried as often.
public final class RotatingLogFile: Sendable {
    public let path: String
    public var rotationSize: Int { state.withLock { $0.rotationSize } }
    public var maxFiles: Int { state.withLock { $0.maxFiles } }

    private struct State {
        var fd: CInt
        var size: Int
        var rotationSize: Int
        var maxFiles: Int
        /// The open file's identity, to notice when `path` names another file or none.
        var identity: FileIdentity?
        var lastCheck: ContinuousClock.Instant
    }

    private struct FileIdentity: Equatable {
        let device: UInt64
        let inode: UInt64
    }

    /// How often `path` is compared with the open file.
    public static let recheckInterval: Duration = .seconds(1)
    private let state: Mutex<State>

    /// Opens (creating with mode 0600) the log for appending.
    ///
    /// - Throws: ``FileError`` when the file cannot be opened.
    public init(path: String, rotationSize: Int, maxFiles: Int) throws(FileError) {
        precondition(rotationSize > 0 && maxFiles > 0, "validated by the config")
        self.path = path
        let (fd, size, identity) = try Self.openForAppend(path)
        state = Mutex(State(fd: fd, size: size, rotationSize: rotationSize, maxFiles: maxFiles, identity: identity,
                            lastCheck: ContinuousClock().now))
    }

    deinit {
        state.withLock { if $0.fd >= 0 { system_close($0.fd) } }
    }

    /// Appends one complete line (the caller includes the newline).
    public func write(_ line: [UInt8]) {
        state.withLock { state in
            let now = ContinuousClock().now
            if now - state.lastCheck >= Self.recheckInterval {
                state.lastCheck = now
                if state.fd < 0 || Self.identity(ofPath: path) != state.identity { reopen(&state) }
            }
            if state.size > 0 && state.size + line.count > state.rotationSize {
                rotate(&state)
            }
            guard state.fd >= 0 else { return }
            let written = line.withUnsafeBytes { system_write(state.fd, $0.baseAddress, $0.count) }
            if written > 0 { state.size += written }
        }
    }

    /// Flushes the file to disk.
    public func sync() {
        state.withLock { if $0.fd >= 0 { system_fsync($0.fd) } }
    }

    /// The renames one rotation performs, oldest first: with `maxFiles` = 3,
    /// `daemon.log.1 → daemon.log.2`, then `daemon.log → daemon.log.1`; `daemon.log.2` is removed first.
    public static func rotationPlan(path: String, maxFiles: Int) -> (remove: String, renames: [(from: String, to: String)]) {
        guard maxFiles > 1 else { return (path, []) }
        let oldest = "\(path).\(maxFiles - 1)"
        var renames: [(String, String)] = []
        if maxFiles > 2 {
            for index in stride(from: maxFiles - 2, through: 1, by: -1) {
                renames.append(("\(path).\(index)", "\(path).\(index + 1)"))
            }
        }
        renames.append((path, "\(path).1"))
        return (oldest, renames)
    }

    /// Changes the limits (on reload); the next write rotates if the file is already past the size.
    public func setLimits(rotationSize: Int, maxFiles: Int) {
        precondition(rotationSize > 0 && maxFiles > 0, "validated by the config")
        state.withLock {
            $0.rotationSize = rotationSize
            $0.maxFiles = maxFiles
        }
    }

    private func rotate(_ state: inout State) {
        let plan = Self.rotationPlan(path: path, maxFiles: state.maxFiles)
        system_unlink(plan.remove)
        for step in plan.renames { system_rename(step.from, step.to) }
        reopen(&state)
    }

    private func reopen(_ state: inout State) {
        if state.fd >= 0 { system_close(state.fd) }
        if let (fd, size, identity) = try? Self.openForAppend(path) {
            state.fd = fd
            state.size = size
            state.identity = identity
        } else {
            state.fd = -1
            state.size = 0
            state.identity = nil
        }
    }

    private static func openForAppend(_ path: String) throws(FileError) -> (CInt, Int, FileIdentity) {
        let fd = system_open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(path: path, operation: "open log file", errno: Errno(rawValue: errno)) }
        var st = stat()
        system_fstat(fd, &st)
        return (fd, Int(st.st_size), FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
    }

    private static func identity(ofPath path: String) -> FileIdentity? {
        var st = stat()
        guard system_stat(path, &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
