// Public: the daemon binds with the kernel's `sockaddr_storage` this holds.
#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// An IP socket address as the kernel takes it, resolved from the config's `host` and `port`.
public struct SocketAddress: Sendable {
    public var family: CInt
    public var storage: sockaddr_storage
    public var length: socklen_t

    public init(family: CInt, storage: sockaddr_storage, length: socklen_t) {
        self.family = family
        self.storage = storage
        self.length = length
    }

    /// The addresses `host` resolves to for binding (`system_getaddrinfo(3)` with `AI_PASSIVE`), in the
    /// order a listener tries them.
    ///
    /// - Throws: ``ResolveError`` with `getaddrinfo`'s own words.
    public static func resolve(host: String, port: Int) throws(ResolveError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = CInt(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = system_getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ResolveError(subject: "\(host):\(port)", reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var result: [SocketAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node?.pointee {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: entry.ai_addr, count: Int(entry.ai_addrlen)))
            }
            result.append(SocketAddress(family: entry.ai_family, storage: storage, length: entry.ai_addrlen))
            node = entry.ai_next
        }
        return result
    }

    /// The numeric host and port (`system_getnameinfo(3)`), e.g. `("::1", 3000)`.
    public var numeric: (host: String, port: Int)? {
        var storage = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withUnsafeBytes(of: &storage) { raw in
            system_getnameinfo(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length, &host, socklen_t(host.count),
                        &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
        }
        guard status == 0, let port = Int(String(cString: service)) else { return nil }
        return (String(cString: host), port)
    }
}

/// A host and port that do not resolve to an address.
public struct ResolveError: Error, Sendable, Hashable, CustomStringConvertible {
    public let subject: String
    public let reason: String
    public var description: String { "resolve \(subject): \(reason)" }
}
