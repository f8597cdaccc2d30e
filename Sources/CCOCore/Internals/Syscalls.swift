#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every POSIX call CCOCore makes, in one place (as swift-system keeps its Syscalls.swift): the
// rest of the module calls these, so `grep system_` shows its whole C surface. Each forwards
// unchanged; retrying on EINTR and turning -1 into an `Errno` is `SystemCall.value(_:)`.

@discardableResult internal func system_access(_ path: UnsafePointer<CChar>, _ mode: CInt) -> CInt { access(path, mode) }
@discardableResult internal func system_clock_gettime(_ clock: clockid_t, _ time: UnsafeMutablePointer<timespec>) -> CInt { clock_gettime(clock, time) }
@discardableResult internal func system_close(_ fd: CInt) -> CInt { close(fd) }
@discardableResult internal func system_closedir(_ dir: OpaquePointer) -> CInt { closedir(dir) }
@discardableResult internal func system_connect(_ fd: CInt, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> CInt { connect(fd, address, length) }
@discardableResult internal func system_execv(_ path: UnsafePointer<CChar>, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>) -> CInt { execv(path, argv) }
@discardableResult internal func system_fchmod(_ fd: CInt, _ mode: mode_t) -> CInt { fchmod(fd, mode) }
@discardableResult internal func system_fcntl(_ fd: CInt, _ command: CInt) -> CInt { fcntl(fd, command) }
@discardableResult internal func system_fcntl(_ fd: CInt, _ command: CInt, _ value: CInt) -> CInt { fcntl(fd, command, value) }
@discardableResult internal func system_flock(_ fd: CInt, _ operation: CInt) -> CInt { flock(fd, operation) }
@discardableResult internal func system_fstat(_ fd: CInt, _ buffer: UnsafeMutablePointer<stat>) -> CInt { fstat(fd, buffer) }
@discardableResult internal func system_fsync(_ fd: CInt) -> CInt { fsync(fd) }
@discardableResult internal func system_getaddrinfo(_ host: UnsafePointer<CChar>, _ service: UnsafePointer<CChar>, _ hints: UnsafePointer<addrinfo>, _ result: UnsafeMutablePointer<UnsafeMutablePointer<addrinfo>?>) -> CInt { getaddrinfo(host, service, hints, result) }
@discardableResult internal func system_getnameinfo(_ address: UnsafePointer<sockaddr>, _ length: socklen_t, _ host: UnsafeMutablePointer<CChar>, _ hostLength: socklen_t, _ service: UnsafeMutablePointer<CChar>, _ serviceLength: socklen_t, _ flags: CInt) -> CInt { getnameinfo(address, length, host, hostLength, service, serviceLength, flags) }
@discardableResult internal func system_getsockopt(_ fd: CInt, _ level: CInt, _ name: CInt, _ value: UnsafeMutableRawPointer?, _ length: UnsafeMutablePointer<socklen_t>) -> CInt { getsockopt(fd, level, name, value, length) }
@discardableResult internal func system_gmtime_r(_ time: UnsafePointer<time_t>, _ result: UnsafeMutablePointer<tm>) -> UnsafeMutablePointer<tm>? { gmtime_r(time, result) }
@discardableResult internal func system_inet_pton(_ family: CInt, _ text: UnsafePointer<CChar>, _ address: UnsafeMutableRawPointer) -> CInt { inet_pton(family, text, address) }
@discardableResult internal func system_lstat(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<stat>) -> CInt { lstat(path, buffer) }
@discardableResult internal func system_mkdir(_ path: UnsafePointer<CChar>, _ mode: mode_t) -> CInt { mkdir(path, mode) }
@discardableResult internal func system_nanosleep(_ request: UnsafePointer<timespec>, _ remaining: UnsafeMutablePointer<timespec>?) -> CInt { nanosleep(request, remaining) }
@discardableResult internal func system_open(_ path: UnsafePointer<CChar>, _ flags: CInt) -> CInt { open(path, flags) }
@discardableResult internal func system_open(_ path: UnsafePointer<CChar>, _ flags: CInt, _ mode: mode_t) -> CInt { open(path, flags, mode) }
@discardableResult internal func system_opendir(_ path: UnsafePointer<CChar>) -> OpaquePointer? { opendir(path) }
@discardableResult internal func system_poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: CInt) -> CInt { poll(fds, count, timeout) }
@discardableResult internal func system_pread(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: off_t) -> Int { pread(fd, buffer, count, offset) }
@discardableResult internal func system_read(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
@discardableResult internal func system_readdir(_ dir: OpaquePointer) -> UnsafeMutablePointer<dirent>? { readdir(dir) }
@discardableResult internal func system_readlink(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<CChar>, _ size: Int) -> Int { readlink(path, buffer, size) }
@discardableResult internal func system_recv(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ flags: CInt) -> Int { recv(fd, buffer, count, flags) }
@discardableResult internal func system_rename(_ old: UnsafePointer<CChar>, _ new: UnsafePointer<CChar>) -> CInt { rename(old, new) }
@discardableResult internal func system_send(_ fd: CInt, _ buffer: UnsafeRawPointer?, _ count: Int, _ flags: CInt) -> Int { send(fd, buffer, count, flags) }
@discardableResult internal func system_setsockopt(_ fd: CInt, _ level: CInt, _ name: CInt, _ value: UnsafeRawPointer?, _ length: socklen_t) -> CInt { setsockopt(fd, level, name, value, length) }
@discardableResult internal func system_socket(_ domain: CInt, _ type: CInt, _ proto: CInt) -> CInt { socket(domain, type, proto) }
@discardableResult internal func system_stat(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<stat>) -> CInt { stat(path, buffer) }
@discardableResult internal func system_unlink(_ path: UnsafePointer<CChar>) -> CInt { unlink(path) }
@discardableResult internal func system_write(_ fd: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
internal func system_getpwuid_r(_ uid: uid_t, _ entry: UnsafeMutablePointer<passwd>, _ buffer: UnsafeMutablePointer<CChar>, _ size: Int, _ result: UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>) -> CInt { getpwuid_r(uid, entry, buffer, size, result) }
internal func system_getpwnam_r(_ name: UnsafePointer<CChar>, _ entry: UnsafeMutablePointer<passwd>, _ buffer: UnsafeMutablePointer<CChar>, _ size: Int, _ result: UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>) -> CInt { getpwnam_r(name, entry, buffer, size, result) }
