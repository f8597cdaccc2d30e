#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every POSIX call CCOSystemd makes, in one place (as swift-system keeps its Syscalls.swift): the
// rest of the module calls these, so `grep system_` shows its whole C surface. Each forwards
// unchanged; retrying on EINTR and turning -1 into an `Errno` is `SystemCall.value(_:)`.

@discardableResult internal func system_bind(_ fd: CInt, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> CInt { bind(fd, address, length) }
@discardableResult internal func system_close(_ fd: CInt) -> CInt { close(fd) }
@discardableResult internal func system_fstat(_ fd: CInt, _ buffer: UnsafeMutablePointer<stat>) -> CInt { fstat(fd, buffer) }
@discardableResult internal func system_poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: CInt) -> CInt { poll(fds, count, timeout) }
@discardableResult internal func system_recv(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ flags: CInt) -> Int { recv(fd, buffer, count, flags) }
@discardableResult internal func system_socket(_ domain: CInt, _ type: CInt, _ proto: CInt) -> CInt { socket(domain, type, proto) }
