#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to stdout and stderr without buffering surprises (each call is one `write(2)`).
enum Terminal {
    static func out(_ line: String) { write(STDOUT_FILENO, line + "\n") }
    static func error(_ line: String) { write(STDERR_FILENO, line + "\n") }

    static func write(_ fd: CInt, _ text: String) {
        writeBytes(fd, Array(text.utf8))
    }

    static func writeBytes(_ fd: CInt, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// Colour only on a terminal, and never with NO_COLOR set.
    static func colored(_ text: String, _ code: String, fd: CInt = STDOUT_FILENO) -> String {
        guard isatty(fd) == 1, getenv("NO_COLOR") == nil else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
