#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SystemPackage

/// Writes a file so that readers see the old content or the new, never a part: a temporary file in
/// the same directory, `fsync`, `system_rename(2)` over the target, then `fsync` of the directory.
public enum AtomicFile {
    /// - Parameters:
    ///   - bytes: the complete new content.
    ///   - path: the file to replace or create.
    ///   - permissions: the mode of the new file (default 0600).
    /// - Throws: ``FileError`` naming the path and the failing step; the target is untouched then.
    public static func write(_ bytes: some Collection<UInt8>, to path: String, permissions: FilePermissions = [.ownerReadWrite]) throws(FileError) {
        let directory = parentDirectory(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                FilePath(temporary), .writeOnly,
                options: [.create, .exclusiveCreate, .closeOnExec], permissions: permissions)
        } catch { throw FileError(path: temporary, operation: "create", errno: error as? Errno) }
        do {
            try fd.closeAfter {
                _ = try fd.writeAll(bytes)
                // The mode given to system_open(2) is filtered by the umask; set it exactly.
                guard system_fchmod(fd.rawValue, permissions.rawValue) == 0 else { throw Errno(rawValue: errno) }
                guard system_fsync(fd.rawValue) == 0 else { throw Errno(rawValue: errno) }
            }
        } catch {
            system_unlink(temporary)
            throw FileError(path: path, operation: "write", errno: error as? Errno)
        }
        try replace(path, with: temporary)
    }

    /// The last step of an atomic write, for a `temporary` file that another writer (SQLite, say)
    /// has already filled and synced: `system_rename(2)` it over `path`, then `fsync` the directory.
    ///
    /// - Throws: ``FileError``; the temporary file is removed and `path` is untouched then.
    public static func replace(_ path: String, with temporary: String) throws(FileError) {
        guard system_rename(temporary, path) == 0 else {
            let e = errno
            system_unlink(temporary)
            throw FileError(path: path, operation: "rename into place", errno: Errno(rawValue: e))
        }
        syncDirectory(parentDirectory(of: path))
    }

    public static func write(_ text: String, to path: String, permissions: FilePermissions = [.ownerReadWrite]) throws(FileError) {
        try write(Array(text.utf8), to: path, permissions: permissions)
    }

    /// Makes the rename durable: the directory entry is only on disk after the directory is synced.
    private static func syncDirectory(_ directory: String) {
        let dfd = system_open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return }
        system_fsync(dfd)
        system_close(dfd)
    }

    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// A file operation that failed, with the path and the errno.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let operation: String
    public let errno: Errno?

    public init(path: String, operation: String, errno: Errno?) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "cannot \(operation) \(path): \(errno.map { "\($0)" } ?? "unknown error")"
    }
}
