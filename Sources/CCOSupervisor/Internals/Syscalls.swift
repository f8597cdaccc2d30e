#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every POSIX call CCOSupervisor makes, in one place (as swift-system keeps its Syscalls.swift): the
// rest of the module calls these, so `grep system_` shows its whole C surface. Each forwards
// unchanged; retrying on EINTR and turning -1 into an `Errno` is `SystemCall.value(_:)`.

@discardableResult internal func system_close(_ fd: CInt) -> CInt { close(fd) }
@discardableResult internal func system_dlsym(_ handle: UnsafeMutableRawPointer?, _ symbol: UnsafePointer<CChar>) -> UnsafeMutableRawPointer? { dlsym(handle, symbol) }
@discardableResult internal func system_fcntl(_ fd: CInt, _ command: CInt) -> CInt { fcntl(fd, command) }
@discardableResult internal func system_fcntl(_ fd: CInt, _ command: CInt, _ value: CInt) -> CInt { fcntl(fd, command, value) }
@discardableResult internal func system_kill(_ pid: pid_t, _ signal: CInt) -> CInt { kill(pid, signal) }
@discardableResult internal func system_pipe(_ fds: UnsafeMutablePointer<CInt>) -> CInt { pipe(fds) }
@discardableResult internal func system_poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: CInt) -> CInt { poll(fds, count, timeout) }
@discardableResult internal func system_read(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
@discardableResult internal func system_waitpid(_ pid: pid_t, _ status: UnsafeMutablePointer<CInt>?, _ options: CInt) -> pid_t { waitpid(pid, status, options) }
@discardableResult internal func system_usleep(_ microseconds: useconds_t) -> CInt { usleep(microseconds) }
