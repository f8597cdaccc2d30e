// Every raw libsystemd call lives in this file, so that `grep sd_` shows the whole C surface.
#if os(Linux)
internal import CSystemd
public import SystemPackage
import Glibc

/// The corresponding C function is `sd_notify(3)`.
internal func systemd_notify(_ unsetEnvironment: Bool, _ state: UnsafePointer<CChar>) -> CInt {
    sd_notify(unsetEnvironment ? 1 : 0, state)
}

/// The corresponding C function is `sd_watchdog_enabled(3)`.
internal func systemd_watchdog_enabled(_ unsetEnvironment: Bool, _ usec: inout UInt64) -> CInt {
    sd_watchdog_enabled(unsetEnvironment ? 1 : 0, &usec)
}
#endif
