public import SystemPackage

/// libsystemd reports failure as a negative errno value and success as zero or a positive count.
internal func valueOrNegativeErrno(_ r: CInt) -> Result<CInt, Errno> {
    r < 0 ? .failure(Errno(rawValue: -r)) : .success(r)
}
