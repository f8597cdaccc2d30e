#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time as stored in analytics rows and cache snapshots.
public enum WallClock {
    /// Milliseconds since the Unix epoch.
    public static func nowMilliseconds() -> Int64 {
        var now = timespec()
        system_clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
