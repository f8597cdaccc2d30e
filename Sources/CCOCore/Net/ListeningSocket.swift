#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// Sets the queue length again (`listen(2)` on a listening socket only updates it): NIO listens
    /// with its default of 128 when it takes a socket over.
    public func restoreBacklog(_ backlog: CInt = ListeningSocket.backlog) {
        _ = listen(fd, backlog)
    }

    /// Binds `host:port` (port 0 picks a free one) with `SO_REUSEADDR`, close-on-exec, and listens.
    ///
    /// - Throws: ``SocketError`` whose `errno` says why (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`).
    public static func bind(host: String, port: Int, backlog: CInt = ListeningSocket.backlog) throws(SocketError) -> ListeningSocket {
        let subject = "\(host):\(port)"
        let addresses = try resolve(host: host, port: port)
        var lastError = SocketError("bind", subject, errno: EADDRNOTAVAIL)
        for address in addresses {
            let fd = socket(address.family, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = SocketError("socket", subject, errno: errno); continue }
            var one: CInt = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
            var storage = address.storage
            let bound = withUnsafeBytes(of: &storage) { raw in
                systemBind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.length)
            }
            if bound != 0 { lastError = SocketError("bind", subject, errno: errno); systemClose(fd); continue }
            if listen(fd, backlog) != 0 { lastError = SocketError("listen", subject, errno: errno); systemClose(fd); continue }
            return ListeningSocket(fd: fd)
        }
        throw lastError
    }

    /// The numeric host and port the socket is bound to, or nil when it is not an IP socket.
    public var localAddress: (host: String, port: Int)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutableBytes(of: &storage) { raw in
            getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard named == 0 else { return nil }
        return Self.numeric(storage, length)
    }

    /// Whether the socket is bound where `host:port` would bind: the same port (any, for port 0)
    /// on an address that `host` resolves to.
    public func isBound(toHost host: String, port: Int) -> Bool {
        guard let local = localAddress, port == 0 || local.port == port else { return false }
        guard let addresses = try? Self.resolve(host: host, port: port) else { return false }
        return addresses.contains { Self.numeric($0.storage, $0.length)?.host == local.host }
    }

    /// Closes the descriptor. A socket shared with another process (the fd store, the next daemon)
    /// keeps listening there.
    public func close() { systemClose(fd) }

    /// The numeric addresses `host` resolves to for binding, in the order ``bind(host:port:backlog:)`` tries them.
    public static func numericAddresses(host: String, port: Int) throws(SocketError) -> [String] {
        try resolve(host: host, port: port).compactMap { numeric($0.storage, $0.length)?.host }
    }

    // MARK: addresses

    struct Resolved {
        var family: CInt
        var storage: sockaddr_storage
        var length: socklen_t
    }

    static func resolve(host: String, port: Int) throws(SocketError) -> [Resolved] {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = CInt(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SocketError("resolve", "\(host):\(port)", errno: 0, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var result: [Resolved] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node?.pointee {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: entry.ai_addr, count: Int(entry.ai_addrlen)))
            }
            result.append(Resolved(family: entry.ai_family, storage: storage, length: entry.ai_addrlen))
            node = entry.ai_next
        }
        return result
    }

    static func numeric(_ storage: sockaddr_storage, _ length: socklen_t) -> (host: String, port: Int)? {
        var storage = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withUnsafeBytes(of: &storage) { raw in
            getnameinfo(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length, &host, socklen_t(host.count),
                        &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
        }
        guard status == 0, let port = Int(String(cString: service)) else { return nil }
        return (String(cString: host), port)
    }
}

// The type's own `close()` and `bind(host:port:)` shadow the C functions inside it.
private func systemBind(_ fd: CInt, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> CInt {
    bind(fd, address, length)
}

private func systemClose(_ fd: CInt) {
    _ = close(fd)
}
