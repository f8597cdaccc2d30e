#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// An exclusive `system_flock(2)` on a file, held until ``unlock()`` or deinit (or the process ends, which
/// is why a crashed daemon never leaves a lock behind). The file itself is never unlinked: removing a
/// lock file lets two processes lock two different inodes of the same name.
public final class FileLock {
    public let path: String
    private var fd: CInt

    private init(path: String, fd: CInt) {
        self.path = path
        self.fd = fd
    }

    deinit { unlock() }

    /// Takes the lock without waiting.
    ///
    /// - Returns: the held lock, or `nil` when another process holds it.
    /// - Throws: ``FileError`` when the file cannot be opened or locked for another reason.
    public static func tryLock(_ path: String) throws(FileError) -> FileLock? {
        let fd = try openLockFile(path)
        if case .failure(let error) = SystemCall.check({ system_flock(fd, LOCK_EX | LOCK_NB) }) {
            system_close(fd)
            if error == .wouldBlock { return nil }
            throw FileError(path: path, operation: "lock", errno: error)
        }
        return FileLock(path: path, fd: fd)
    }

    /// Takes the lock, waiting up to `timeout` for its holder to release it.
    ///
    /// - Returns: the held lock, or `nil` when it was still held at the deadline.
    public static func lock(_ path: String, timeout: Duration) throws(FileError) -> FileLock? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.milliseconds(1)
        while true {
            if let lock = try tryLock(path) { return lock }
            if clock.now >= deadline { return nil }
            sleepFor(pause)
            pause = min(pause * 2, .milliseconds(20))
        }
    }

    public func unlock() {
        guard fd >= 0 else { return }
        system_close(fd)  // closing the only descriptor releases the flock
        fd = -1
    }

    private static func openLockFile(_ path: String) throws(FileError) -> CInt {
        let fd = system_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(path: path, operation: "open lock file", errno: Errno(rawValue: errno)) }
        return fd
    }

    /// The pid of the process holding an exclusive `flock` on `path`, read from `/proc/locks`
    /// without touching the lock (so probing never makes a starting daemon miss it).
    ///
    /// - Returns: the holder's pid, or `nil` when the file is not locked (or does not exist).
    public static func holder(of path: String) -> Int32? {
        var st = stat()
        guard system_stat(path, &st) == 0, let locks = try? FileSystem.readTextIfExists("/proc/locks") else { return nil }
        let dev = UInt64(st.st_dev)
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        let inode = UInt64(st.st_ino)
        // "1: FLOCK  ADVISORY  WRITE 12345 08:01:123456 0 EOF"; blocked waiters are marked "->".
        for line in locks.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[1] == "FLOCK" else { continue }
            let id = fields[5].split(separator: ":")
            guard id.count == 3, UInt64(id[0], radix: 16) == major, UInt64(id[1], radix: 16) == minor,
                  UInt64(id[2]) == inode, let pid = Int32(fields[4]) else { continue }
            return pid
        }
        return nil
    }
}

@available(*, unavailable)
extension FileLock: Sendable {}

/// Sleeps the calling thread (for the synchronous CLI paths, and the analytics writer's own thread
/// between its batches).
public func sleepFor(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    // Interrupted by a signal, it sleeps on for what remained.
    while case .failure(.interrupted) = SystemCall.check(retryOnInterrupt: false, { system_nanosleep(&request, &remaining) }) {
        request = remaining
    }
}
