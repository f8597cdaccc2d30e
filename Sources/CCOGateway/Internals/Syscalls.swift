#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every POSIX call CCOGateway makes, in one place (as swift-system keeps its Syscalls.swift): the
// rest of the module calls these, so `grep system_` shows its whole C surface. Each forwards
// unchanged; retrying on EINTR and turning -1 into an `Errno` is `SystemCall.value(_:)`.

@discardableResult internal func system_access(_ path: UnsafePointer<CChar>, _ mode: CInt) -> CInt { access(path, mode) }
@discardableResult internal func system_chmod(_ path: UnsafePointer<CChar>, _ mode: mode_t) -> CInt { chmod(path, mode) }
@discardableResult internal func system_unlink(_ path: UnsafePointer<CChar>) -> CInt { unlink(path) }
@discardableResult internal func system_sched_yield() -> CInt { sched_yield() }

#if os(Linux)
@discardableResult internal func system_setpriority(_ which: __priority_which_t, _ who: id_t, _ priority: CInt) -> CInt { setpriority(which, who, priority) }
#elseif canImport(Darwin)
@discardableResult internal func system_setpriority(_ which: CInt, _ who: id_t, _ priority: CInt) -> CInt { setpriority(which, who, priority) }
#endif
