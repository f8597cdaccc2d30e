#if canImport(Glibc)
import Glibc
// In a whole-module (release) build the socket constants resolve through the C module that
// Internals/Calls.swift imports (its headers include <sys/socket.h>), so this file imports it too.
internal import CSystemd
#elseif canImport(Darwin)
import Darwin
#endif
public import SystemPackage

/// The receiving end of the notification protocol: what systemd listens on as `$NOTIFY_SOCKET`.
///
/// `cco daemon start` creates one so that a standalone daemon reports readiness exactly as it does
/// under systemd, and tests use one to see what the daemon sends.
public final class NotifySocket {
    /// The value to pass as `$NOTIFY_SOCKET`: a path, or `@name` for an abstract socket.
    public let address: String
    private let fd: CInt

    private init(fd: CInt, address: String) {
        self.fd = fd
        self.address = address
    }

    deinit { system_close(fd) }

    /// Binds a datagram socket in the abstract namespace (nothing on disk to clean up, and no
    /// 108-byte path limit on the state directory).
    ///
    /// - Throws: `Errno` from `system_socket(2)` or `system_bind(2)`.
    public static func bindAbstract(name: String) throws(Errno) -> NotifySocket {
        try bind(address: "@" + name)
    }

    /// Binds a datagram socket at `path`, or in the abstract namespace when `address` starts with `@`.
    public static func bind(address: String) throws(Errno) -> NotifySocket {
        #if os(Linux)
        let fd = system_socket(AF_UNIX, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = system_socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { system_close(fd); throw Errno.fileNameTooLong }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { system_bind(fd, $0, length) }
        }
        guard r == 0 else { let e = errno; system_close(fd); throw Errno(rawValue: e) }
        return NotifySocket(fd: fd, address: address)
    }

    /// Waits up to `timeout` for one datagram and returns its assignments, or `nil` on timeout.
    ///
    /// - Throws: `Errno` from `system_poll(2)` or `system_recv(2)` (EINTR is retried).
    public func receive(timeout: Duration) throws(Errno) -> [NotifyState]? {
        guard let text = try receiveString(timeout: timeout) else { return nil }
        return NotifyState.parse(message: text)
    }

    /// Waits up to `timeout` for one datagram and returns it as text, or `nil` on timeout.
    public func receiveString(timeout: Duration) throws(Errno) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = CInt(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard try valueOrErrno({ system_poll(&pfd, 1, ms) }).get() > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = try valueOrErrno { buffer.withUnsafeMutableBytes { system_recv(fd, $0.baseAddress, $0.count, 0) } }.get()
        return String(decoding: buffer[..<n], as: UTF8.self)
    }
}

@available(*, unavailable)
extension NotifySocket: Sendable {}
