#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore

/// Writing to stdout and stderr without buffering surprises (each call is one `system_write(2)`).
enum Terminal {
    static func out(_ line: String) { write(STDOUT_FILENO, line + "\n") }
    static func error(_ line: String) { write(STDERR_FILENO, line + "\n") }

    static func write(_ fd: CInt, _ text: String) {
        writeBytes(fd, Array(text.utf8))
    }

    static func writeBytes(_ fd: CInt, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            guard case .success(let n) = SystemCall.value({ bytes[offset...].withUnsafeBytes { system_write(fd, $0.baseAddress, $0.count) } }) else { return }
            offset += n
        }
    }

    /// Colour only on a terminal, and never with NO_COLOR set.
    static func colored(_ text: String, _ code: String, fd: CInt = STDOUT_FILENO) -> String {
        guard system_isatty(fd) == 1, getenv("NO_COLOR") == nil else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
