#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// Reading the end of a log file: the last lines without reading the whole file, and following it
/// across rotation and truncation like `tail -F`.
public enum LogTail {
    /// The last `count` lines of `path` (without their newlines), read backwards in blocks.
    ///
    /// - Returns: the lines, oldest first, and the file size they were read up to; no file gives `([], 0)`.
    public static func lastLines(_ count: Int, of path: String, blockSize: Int = 65536) throws(FileError) -> (lines: [String], size: Int) {
        let fd = system_open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return ([], 0) }
            throw FileError(path: path, operation: "open", errno: Errno(rawValue: errno))
        }
        defer { system_close(fd) }
        var st = stat()
        system_fstat(fd, &st)
        let size = Int(st.st_size)
        guard count > 0, size > 0 else { return ([], size) }
        var tail: [UInt8] = []
        var offset = size
        var newlines = 0
        // A final newline ends the last line; it does not start an empty one.
        while offset > 0 && newlines <= count {
            let length = min(blockSize, offset)
            offset -= length
            var block = [UInt8](repeating: 0, count: length)
            let n = block.withUnsafeMutableBytes { system_pread(fd, $0.baseAddress, length, off_t(offset)) }
            guard n == length else { throw FileError(path: path, operation: "read", errno: Errno(rawValue: errno)) }
            newlines += block.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            tail = block + tail
        }
        var lines = tail.split(separator: 10, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if tail.last == 10 { lines.removeLast() }
        return (Array(lines.suffix(count)), size)
    }

    /// Follows `path` from byte `offset`, handing each chunk of new bytes to `output`, until
    /// `shouldContinue` returns false. When the file is replaced (rotation: a new inode at the path)
    /// the rest of the old file is read first, then the new file from its start; when it shrinks
    /// (truncation) reading restarts at its start. A missing file is waited for.
    public static func follow(
        path: String, from offset: Int, pollInterval: Duration = .milliseconds(100),
        shouldContinue: () -> Bool = { true }, output: ([UInt8]) -> Void
    ) {
        var fd: CInt = -1
        var position = offset
        var inode: UInt64 = 0
        defer { if fd >= 0 { system_close(fd) } }
        func reopen(at start: Int) {
            if fd >= 0 { system_close(fd) }
            fd = system_open(path, O_RDONLY | O_CLOEXEC)
            position = start
            var st = stat()
            if fd >= 0, system_fstat(fd, &st) == 0 { inode = UInt64(st.st_ino) }
        }
        func drain() {
            guard fd >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { system_pread(fd, $0.baseAddress, $0.count, off_t(position)) }
                guard n > 0 else { return }
                position += n
                output(Array(buffer[..<n]))
            }
        }
        reopen(at: offset)
        while shouldContinue() {
            drain()
            var st = stat()
            if system_stat(path, &st) == 0 {
                if fd < 0 || UInt64(st.st_ino) != inode {
                    drain()  // the rest of the rotated file
                    reopen(at: 0)
                    continue
                }
                if Int(st.st_size) < position { position = 0; continue }  // truncated
            }
            sleepFor(pollInterval)
        }
        drain()
    }
}
