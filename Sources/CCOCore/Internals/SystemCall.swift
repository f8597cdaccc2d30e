#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import SystemPackage

/// How every module turns a POSIX call's result into a Swift one (swift-system's
/// `valueOrErrno(retryOnInterrupt:)`): -1 becomes the call's `Errno`, and a call interrupted by a
/// signal (EINTR) is made again.
public enum SystemCall {
    /// - Returns: the call's result, or the `errno` it set when it returned -1.

    public static func value<I: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ call: () -> I) -> Result<I, Errno> {
        while true {
            let result = call()
            if result != -1 { return .success(result) }
            let error = Errno(rawValue: errno)
            if retryOnInterrupt && error == .interrupted { continue }
            return .failure(error)
        }
    }

    /// ``value(retryOnInterrupt:_:)`` for calls whose result is only success or failure.

    public static func check(retryOnInterrupt: Bool = true, _ call: () -> CInt) -> Result<Void, Errno> {
        value(retryOnInterrupt: retryOnInterrupt, call).map { _ in () }
    }
}
