#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore

/// Waits for a process that is not our child to exit, woken by the kernel the moment it does:
/// a pidfd (`pidfd_open(2)`, Linux 5.3+) polls readable when the process terminates. Where there
/// is no pidfd (older kernels, macOS), `open` returns nil and callers poll `/proc` instead.
public struct ProcessExitWatch: ~Copyable {
    private let descriptor: CInt

    /// A watch on `pid`, or nil when the process is already gone or pidfds are unavailable.
    public init?(pid: Int32) {
        #if os(Linux)
        // glibc exports pidfd_open from 2.36 (Debian 12) but Swift's Glibc module does not declare
        // it, and `syscall` is variadic, which Swift cannot call: look the wrapper up at run time.
        typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> CInt
        guard let symbol = system_dlsym(nil, "pidfd_open") else { return nil }
        let fd = unsafeBitCast(symbol, to: PidfdOpen.self)(pid, 0)
        guard fd >= 0 else { return nil }
        descriptor = fd
        #else
        return nil
        #endif
    }

    deinit { system_close(descriptor) }

    /// True once the process has exited (a zombie counts), false when `timeout` passes first.
    public func wait(timeout: Duration) -> Bool {
        let deadline = ContinuousClock().now + timeout
        while true {
            let left = deadline - ContinuousClock().now
            let c = left.components
            let milliseconds = max(0, Int(c.seconds) * 1000 + Int(c.attoseconds / 1_000_000_000_000_000) + 1)
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard case .success(let ready) = SystemCall.value({ system_poll(&entry, 1, CInt(clamping: milliseconds)) }) else { return false }
            if ready > 0 { return true }
            if ContinuousClock().now >= deadline { return false }
        }
    }
}
