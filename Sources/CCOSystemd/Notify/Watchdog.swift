public import SystemPackage

/// The service watchdog that systemd arms with `WatchdogSec=`.
public enum Watchdog {
    /// The interval within which the service must send ``NotifyState/watchdog``, or `nil` when the
    /// watchdog is not enabled for this process.
    ///
    /// - Throws: `Errno` when `$WATCHDOG_USEC` or `$WATCHDOG_PID` is malformed.
    ///
    /// The corresponding C function is `sd_watchdog_enabled(3)`.
    public static func interval() throws(Errno) -> Duration? {
        #if os(Linux)
        var usec: UInt64 = 0
        switch valueOrNegativeErrno(systemd_watchdog_enabled(false, &usec)) {
        case .failure(let errno): throw errno
        case .success(0): return nil
        case .success: return .microseconds(Int64(clamping: usec))
        }
        #else
        return nil
        #endif
    }
}
