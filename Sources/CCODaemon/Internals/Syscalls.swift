#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every POSIX call CCODaemon makes, in one place (as swift-system keeps its Syscalls.swift): the
// rest of the module calls these, so `grep system_` shows its whole C surface. Each forwards
// unchanged; retrying on EINTR and turning -1 into an `Errno` is `SystemCall.value(_:)`.

#if canImport(Glibc)
typealias RlimitResource = __rlimit_resource_t
#else
typealias RlimitResource = CInt
#endif

@discardableResult internal func system_accept(_ fd: CInt, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?) -> CInt { accept(fd, address, length) }
@discardableResult internal func system_bind(_ fd: CInt, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> CInt { bind(fd, address, length) }
@discardableResult internal func system_chdir(_ path: UnsafePointer<CChar>) -> CInt { chdir(path) }
@discardableResult internal func system_chmod(_ path: UnsafePointer<CChar>, _ mode: mode_t) -> CInt { chmod(path, mode) }
@discardableResult internal func system_clock_gettime(_ clock: clockid_t, _ time: UnsafeMutablePointer<timespec>) -> CInt { clock_gettime(clock, time) }
@discardableResult internal func system_close(_ fd: CInt) -> CInt { close(fd) }
@discardableResult internal func system_connect(_ fd: CInt, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> CInt { connect(fd, address, length) }
@discardableResult internal func system_fcntl(_ fd: CInt, _ command: CInt) -> CInt { fcntl(fd, command) }
@discardableResult internal func system_fcntl(_ fd: CInt, _ command: CInt, _ value: CInt) -> CInt { fcntl(fd, command, value) }
@discardableResult internal func system_getrlimit(_ resource: RlimitResource, _ limit: UnsafeMutablePointer<rlimit>) -> CInt { getrlimit(resource, limit) }
@discardableResult internal func system_getsockname(_ fd: CInt, _ address: UnsafeMutablePointer<sockaddr>, _ length: UnsafeMutablePointer<socklen_t>) -> CInt { getsockname(fd, address, length) }
@discardableResult internal func system_getsockopt(_ fd: CInt, _ level: CInt, _ name: CInt, _ value: UnsafeMutableRawPointer?, _ length: UnsafeMutablePointer<socklen_t>) -> CInt { getsockopt(fd, level, name, value, length) }
@discardableResult internal func system_isatty(_ fd: CInt) -> CInt { isatty(fd) }
@discardableResult internal func system_listen(_ fd: CInt, _ backlog: CInt) -> CInt { listen(fd, backlog) }
@discardableResult internal func system_poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: CInt) -> CInt { poll(fds, count, timeout) }
@discardableResult internal func system_posix_spawn(_ pid: UnsafeMutablePointer<pid_t>, _ path: UnsafePointer<CChar>, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>, _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>) -> CInt { posix_spawn(pid, path, nil, nil, argv, envp) }
@discardableResult internal func system_recvmsg(_ fd: CInt, _ message: UnsafeMutablePointer<msghdr>, _ flags: CInt) -> Int { recvmsg(fd, message, flags) }
@discardableResult internal func system_rename(_ old: UnsafePointer<CChar>, _ new: UnsafePointer<CChar>) -> CInt { rename(old, new) }
@discardableResult internal func system_sendmsg(_ fd: CInt, _ message: UnsafePointer<msghdr>, _ flags: CInt) -> Int { sendmsg(fd, message, flags) }
@discardableResult internal func system_setrlimit(_ resource: RlimitResource, _ limit: UnsafePointer<rlimit>) -> CInt { setrlimit(resource, limit) }
@discardableResult internal func system_setsockopt(_ fd: CInt, _ level: CInt, _ name: CInt, _ value: UnsafeRawPointer?, _ length: socklen_t) -> CInt { setsockopt(fd, level, name, value, length) }
@discardableResult internal func system_socket(_ domain: CInt, _ type: CInt, _ proto: CInt) -> CInt { socket(domain, type, proto) }
@discardableResult internal func system_stat(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<stat>) -> CInt { stat(path, buffer) }
@discardableResult internal func system_umask(_ mask: mode_t) -> mode_t { umask(mask) }
@discardableResult internal func system_unlink(_ path: UnsafePointer<CChar>) -> CInt { unlink(path) }
@discardableResult internal func system_waitpid(_ pid: pid_t, _ status: UnsafeMutablePointer<CInt>, _ options: CInt) -> pid_t { waitpid(pid, status, options) }
@discardableResult internal func system_write(_ fd: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
@discardableResult internal func system_sendto(_ fd: CInt, _ buffer: UnsafeRawPointer?, _ count: Int, _ flags: CInt, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int { sendto(fd, buffer, count, flags, address, length) }
@discardableResult internal func system_recv(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ flags: CInt) -> Int { recv(fd, buffer, count, flags) }

#if canImport(Glibc)
/// glibc's `mallopt(3)` and its `M_MMAP_THRESHOLD`, from malloc.h, which the Glibc module does not import.
@_silgen_name("mallopt") private func glibc_mallopt(_ parameter: CInt, _ value: CInt) -> CInt
let mallocMmapThreshold: CInt = -3
@discardableResult internal func system_mallopt(_ parameter: CInt, _ value: CInt) -> CInt { glibc_mallopt(parameter, value) }
#endif
@discardableResult internal func system_madvise(_ address: UnsafeMutableRawPointer?, _ length: Int, _ advice: CInt) -> CInt { madvise(address, length, advice) }
