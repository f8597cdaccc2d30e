#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SystemPackage

/// libsystemd reports failure as a negative errno value and success as zero or a positive count.
internal func valueOrNegativeErrno(_ r: CInt) -> Result<CInt, Errno> {
    r < 0 ? .failure(Errno(rawValue: -r)) : .success(r)
}

/// POSIX calls report failure as -1 and `errno`; one interrupted by a signal (EINTR) is made again.
/// (CCOCore's `SystemCall.value` is the same for the modules above; this one knows nothing of cco.)
internal func valueOrErrno<I: FixedWidthInteger>(_ call: () -> I) -> Result<I, Errno> {
    while true {
        let result = call()
        if result != -1 { return .success(result) }
        let error = Errno(rawValue: errno)
        if error != .interrupted { return .failure(error) }
    }
}
