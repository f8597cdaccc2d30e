#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every POSIX call CCOCLI makes, in one place (as swift-system keeps its Syscalls.swift): the
// rest of the module calls these, so `grep system_` shows its whole C surface. Each forwards
// unchanged; retrying on EINTR and turning -1 into an `Errno` is `SystemCall.value(_:)`.

#if canImport(Glibc)
private let platformSignal = Glibc.signal
#else
private let platformSignal = Darwin.signal
#endif

@discardableResult internal func system_isatty(_ fd: CInt) -> CInt { isatty(fd) }
@discardableResult internal func system_localtime_r(_ time: UnsafePointer<time_t>, _ result: UnsafeMutablePointer<tm>) -> UnsafeMutablePointer<tm>? { localtime_r(time, result) }
@discardableResult internal func system_readlink(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<CChar>, _ size: Int) -> Int { readlink(path, buffer, size) }
@discardableResult internal func system_signal(_ signal: CInt, _ handler: @convention(c) (CInt) -> Void) -> (@convention(c) (CInt) -> Void)? { platformSignal(signal, handler) }
@discardableResult internal func system_write(_ fd: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
@discardableResult internal func system_read(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
@discardableResult internal func system_chmod(_ path: UnsafePointer<CChar>, _ mode: mode_t) -> CInt { chmod(path, mode) }
@discardableResult internal func system_access(_ path: UnsafePointer<CChar>, _ mode: CInt) -> CInt { access(path, mode) }
@discardableResult internal func system_lstat(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<stat>) -> CInt { lstat(path, buffer) }
@discardableResult internal func system_symlink(_ target: UnsafePointer<CChar>, _ link: UnsafePointer<CChar>) -> CInt { symlink(target, link) }
@discardableResult internal func system_rename(_ old: UnsafePointer<CChar>, _ new: UnsafePointer<CChar>) -> CInt { rename(old, new) }
@discardableResult internal func system_unlink(_ path: UnsafePointer<CChar>) -> CInt { unlink(path) }
