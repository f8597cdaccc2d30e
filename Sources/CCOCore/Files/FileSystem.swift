#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// Small file helpers over POSIX calls, each failing with a ``FileError`` that names the path.
public enum FileSystem {
    /// Reads a whole file (or its first `limit` bytes), or returns `nil` when it does not exist.
    public static func readIfExists(_ path: String, limit: Int = .max) throws(FileError) -> [UInt8]? {
        let fd = system_open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileError(path: path, operation: "open", errno: Errno(rawValue: errno))
        }
        defer { system_close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n: Int
            switch SystemCall.value({ chunk.withUnsafeMutableBytes { system_read(fd, $0.baseAddress, $0.count) } }) {
            case .success(let read): n = read
            case .failure(let error): throw FileError(path: path, operation: "read", errno: error)
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[..<min(n, limit - result.count)])
            if result.count >= limit { return result }
        }
    }

    public static func readTextIfExists(_ path: String) throws(FileError) -> String? {
        try readIfExists(path).map { String(decoding: $0, as: UTF8.self) }
    }

    public static func exists(_ path: String) -> Bool {
        system_access(path, F_OK) == 0
    }

    /// The permission bits of `path` (symlinks followed), or nil when it does not exist.
    public static func mode(of path: String) -> UInt32? {
        var st = stat()
        guard system_stat(path, &st) == 0 else { return nil }
        return UInt32(st.st_mode) & 0o7777
    }

    /// The file a symlink at `path` points to (followed to the end, at most 40 links, relative
    /// targets taken from the link's directory), or `path` itself.
    public static func resolvingSymlinks(_ path: String) -> String {
        var current = path
        for _ in 0 ..< 40 {
            var st = stat()
            guard system_lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = system_readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { return current }
            let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : AtomicFile.parentDirectory(of: current) + "/" + target
        }
        return current
    }

    /// Creates `path` (and its parents) with `mode` when missing; an existing directory is left as is.
    public static func makeDirectory(_ path: String, mode: UInt32 = 0o700) throws(FileError) {
        if system_mkdir(path, mode_t(mode)) == 0 { return }
        let e = errno
        if e == EEXIST { return }
        if e == ENOENT {
            try makeDirectory(AtomicFile.parentDirectory(of: path), mode: mode)
            if system_mkdir(path, mode_t(mode)) == 0 || errno == EEXIST { return }
        }
        throw FileError(path: path, operation: "create directory", errno: Errno(rawValue: e))
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) throws(FileError) {
        if system_unlink(path) == 0 || errno == ENOENT { return }
        throw FileError(path: path, operation: "remove", errno: Errno(rawValue: errno))
    }

    /// Renames a non-empty file to `path.1` (replacing the one before), so that what it holds
    /// survives the next writer that truncates `path`. A missing or empty file is left alone.
    public static func keepPrevious(_ path: String) throws(FileError) {
        var st = stat()
        guard system_stat(path, &st) == 0, st.st_size > 0 else { return }
        guard system_rename(path, path + ".1") == 0 else {
            throw FileError(path: path, operation: "rename to \(path).1", errno: Errno(rawValue: errno))
        }
    }
}
