#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Local user accounts, by name and by uid (`getpwnam_r(3)`, `getpwuid_r(3)`).
public enum UserAccount {
    /// The uid of the user `name`, or nil when there is none.
    public static func uid(named name: String) -> UInt32? {
        var entry = passwd(), result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard system_getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.pw_uid
    }

    /// The name of `uid`, or nil when no account has it.
    public static func name(of uid: UInt32) -> String? {
        var entry = passwd(), result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard system_getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return nil }
        return String(cString: name)
    }

    /// This process's real uid.
    public static var current: UInt32 { getuid() }
}
