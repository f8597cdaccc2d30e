#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage
public import CCOCore

/// A listening TCP socket held by descriptor: one this process bound, or one it inherited from the
/// service manager (socket activation, the fd store) or from the daemon it takes over from.
///
/// The daemon binds through this type rather than through its HTTP server so that the descriptor
/// exists before the server does and can be handed on: to systemd's fd store, or to the next process.
public struct ListeningSocket: Sendable, Hashable {
    public let fd: CInt

    public init(fd: CInt) { self.fd = fd }

    /// How many connections the kernel queues before they are accepted, e.g. while one process hands
    /// the socket to the next. The unit's `Backlog=` says the same.
    public static let backlog: CInt = 4096

    /// Sets the queue length again (`system_listen(2)` on a listening socket only updates it): NIO listens
    /// with its default of 128 when it takes a socket over.
    public func restoreBacklog(_ backlog: CInt = ListeningSocket.backlog) {
        _ = system_listen(fd, backlog)
    }

    /// Binds `host:port` (port 0 picks a free one) with `SO_REUSEADDR`, close-on-exec, and listens.
    ///
    /// - Throws: ``SocketError`` whose `errno` says why (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`).
    public static func bind(host: String, port: Int, backlog: CInt = ListeningSocket.backlog) throws(SocketError) -> ListeningSocket {
        let subject = "\(host):\(port)"
        let addresses: [SocketAddress]
        do { addresses = try SocketAddress.resolve(host: host, port: port) } catch {
            throw SocketError("resolve", subject, errno: nil, reason: error.reason)
        }
        var lastError = SocketError("bind", subject, errno: Errno(rawValue: EADDRNOTAVAIL))
        for address in addresses {
            let fd = system_socket(address.family, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = SocketError("socket", subject, errno: Errno(rawValue: errno)); continue }
            var one: CInt = 1
            _ = system_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
            var storage = address.storage
            let bound = withUnsafeBytes(of: &storage) { raw in
                system_bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.length)
            }
            if bound != 0 { lastError = SocketError("bind", subject, errno: Errno(rawValue: errno)); system_close(fd); continue }
            if system_listen(fd, backlog) != 0 { lastError = SocketError("listen", subject, errno: Errno(rawValue: errno)); system_close(fd); continue }
            return ListeningSocket(fd: fd)
        }
        throw lastError
    }

    /// The numeric host and port the socket is bound to, or nil when it is not an IP socket.
    public var localAddress: (host: String, port: Int)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutableBytes(of: &storage) { raw in
            system_getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard named == 0 else { return nil }
        return SocketAddress(family: CInt(storage.ss_family), storage: storage, length: length).numeric
    }

    /// Whether the socket is bound where `host:port` would bind: the same port (any, for port 0)
    /// on an address that `host` resolves to.
    public func isBound(toHost host: String, port: Int) -> Bool {
        guard let local = localAddress, port == 0 || local.port == port else { return false }
        guard let addresses = try? SocketAddress.resolve(host: host, port: port) else { return false }
        return addresses.contains { $0.numeric?.host == local.host }
    }

    /// Closes the descriptor. A socket shared with another process (the fd store, the next daemon)
    /// keeps listening there.
    public func close() { system_close(fd) }
}
