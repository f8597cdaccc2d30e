#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// The names in a directory, without `.` and `..`.
func directoryEntries(_ path: String) throws(FileError) -> [String] {
    guard let dir = system_opendir(path) else { throw FileError(path: path, operation: "list", errno: Errno(rawValue: errno)) }
    defer { system_closedir(dir) }
    var names: [String] = []
    while let entry = system_readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// The target of a symbolic link, or `nil`.
func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    let n = system_readlink(path, &buffer, buffer.count)
    guard n > 0 else { return nil }
    return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
