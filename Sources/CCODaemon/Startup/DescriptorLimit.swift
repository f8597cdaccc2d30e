#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// The daemon's limit on open descriptors (`RLIMIT_NOFILE`). Each call in flight holds two (the
/// client's connection and the upstream's), so the soft limit that services start with (1024 under
/// systemd, 256 under launchd) caps the daemon at a few hundred concurrent streams. The hard limit
/// is the ceiling an unprivileged process may raise its soft limit to.
struct DescriptorLimit: Equatable, CustomStringConvertible {
    var soft: UInt64
    var hard: UInt64

    /// No more than this is asked for, even when the hard limit is higher (or unlimited): enough
    /// for `largestUpstreamMaxConnections` calls, and within what macOS's `setrlimit` accepts
    /// (`OPEN_MAX` bounds it there).
    #if os(macOS)
    static let wanted: UInt64 = 10240
    #else
    static let wanted: UInt64 = 65536
    #endif

    /// `RLIM_INFINITY`, which is all ones on Linux and 2⁶³ − 1 on macOS.
    var hardIsUnlimited: Bool { hard >= UInt64(Int64.max) }

    var description: String { "\(soft) (hard \(hardIsUnlimited ? "unlimited" : String(hard)))" }

    /// The limit now, or nil if it cannot be read.
    static func current() -> DescriptorLimit? {
        var limit = rlimit()
        guard system_getrlimit(resourceNoFile, &limit) == 0 else { return nil }
        return DescriptorLimit(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// The soft limit this one should be raised to: `wanted`, or the hard limit if that is lower;
    /// never lowered.
    var raised: DescriptorLimit {
        DescriptorLimit(soft: max(soft, min(hard, Self.wanted)), hard: hard)
    }

    /// Raises the soft limit to ``raised``.
    ///
    /// - Returns: the limit before and after; they are equal when nothing needed raising.
    /// - Throws: the `errno` of a failed `system_setrlimit(2)`.
    static func raiseSoftLimit() throws(DescriptorLimitError) -> (before: DescriptorLimit, after: DescriptorLimit) {
        guard let before = current() else { throw DescriptorLimitError(errno: Errno(rawValue: errno)) }
        let after = before.raised
        guard after != before else { return (before, before) }
        var limit = rlimit(rlim_cur: rlim_t(after.soft), rlim_max: rlim_t(after.hard))
        guard system_setrlimit(resourceNoFile, &limit) == 0 else { throw DescriptorLimitError(errno: Errno(rawValue: errno)) }
        return (before, after)
    }

    #if canImport(Glibc)
    private static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceNoFile = RLIMIT_NOFILE
    #endif
}

struct DescriptorLimitError: Error, CustomStringConvertible {
    let errno: Errno
    var description: String { "setrlimit(RLIMIT_NOFILE): \(errno)" }
}
