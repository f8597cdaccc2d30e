#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// A minimal blocking HTTP/1.1 GET over loopback, for `cco daemon start|status` to ask the daemon's
/// `/health` without pulling an HTTP client library into the CLI's start-up.
public enum LoopbackHTTPClient {
    public struct Reply: Sendable, Hashable {
        public let status: Int
        public let body: String
        public let latency: Duration
    }

    /// GETs `path` from `host:port` with `Connection: close`.
    ///
    /// - Returns: the reply, or a one-line reason when there is none within `timeout`.
    public static func get(host: String, port: Int, path: String, timeout: Duration = .seconds(2)) -> Result<Reply, LoopbackHTTPFailure> {
        exchange(method: "GET", host: host, port: port, path: path, headers: [], timeout: timeout)
    }

    /// POSTs an empty body to `path` (the daemon's admin endpoints), with extra `headers`.
    public static func post(host: String, port: Int, path: String, headers: [(String, String)], timeout: Duration = .seconds(10)) -> Result<Reply, LoopbackHTTPFailure> {
        exchange(method: "POST", host: host, port: port, path: path, headers: headers + [("Content-Length", "0")], timeout: timeout)
    }

    private static func exchange(method: String, host: String, port: Int, path: String, headers: [(String, String)], timeout: Duration) -> Result<Reply, LoopbackHTTPFailure> {
        let clock = ContinuousClock()
        let started = clock.now
        let target = HostAddress.connectable(host)
        let fd: CInt
        switch connect(to: target, port: port, timeout: timeout) {
        case .success(let socket): fd = socket
        case .failure(let failure): return .failure(failure)
        }
        defer { system_close(fd) }
        let hostHeader = target.contains(":") ? "[\(target)]:\(port)" : "\(target):\(port)"
        let extra = headers.map { "\($0.0): \($0.1)\r\n" }.joined()
        let request = Array("\(method) \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: cco/\(CCOVersion.current)\r\n\(extra)Connection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            switch SystemCall.value({ request[sent...].withUnsafeBytes { system_send(fd, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL)) } }) {
            case .success(let n): sent += n
            case .failure(let error): return .failure(LoopbackHTTPFailure("send failed: \(error)"))
            }
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n: Int
            switch SystemCall.value({ buffer.withUnsafeMutableBytes { system_recv(fd, $0.baseAddress, $0.count, 0) } }) {
            case .success(let received): n = received
            case .failure(.resourceTemporarilyUnavailable): return .failure(LoopbackHTTPFailure("no answer within \(timeout)"))
            case .failure(let error): return .failure(LoopbackHTTPFailure("receive failed: \(error)"))
            }
            if n == 0 { break }
            response.append(contentsOf: buffer[..<n])
        }
        guard let reply = parse(response, latency: clock.now - started) else {
            return .failure(LoopbackHTTPFailure("not an HTTP response"))
        }
        return .success(reply)
    }

    static func parse(_ bytes: [UInt8], latency: Duration) -> Reply? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.starts(with: Array("HTTP/1.".utf8)),
              let headerEnd = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return nil }
        let statusLine = String(decoding: bytes[..<(bytes.firstIndex(of: 13) ?? headerEnd)], as: UTF8.self).split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        return Reply(status: status, body: String(decoding: bytes[(headerEnd + 4)...], as: UTF8.self), latency: latency)
    }

    private static func connect(to host: String, port: Int, timeout: Duration) -> Result<CInt, LoopbackHTTPFailure> {
        let v6 = host.contains(":")
        #if os(Linux)
        let fd = system_socket(v6 ? AF_INET6 : AF_INET, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue) | CInt(SOCK_NONBLOCK.rawValue), 0)
        #else
        let fd = system_socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return .failure(LoopbackHTTPFailure("socket failed: \("\(Errno(rawValue: errno))")")) }
        var r: CInt
        if v6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            system_inet_pton(AF_INET6, host, &addr.sin6_addr)
            r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { system_connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            system_inet_pton(AF_INET, host, &addr.sin_addr)
            r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { system_connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        let ms = CInt(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        if r != 0 {
            guard errno == EINPROGRESS else {
                let e = errno; system_close(fd)
                return .failure(LoopbackHTTPFailure(e == ECONNREFUSED ? "connection refused" : "\(Errno(rawValue: e))"))
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            r = (try? SystemCall.value { system_poll(&pfd, 1, ms) }.get()) ?? -1
            if r == 0 { system_close(fd); return .failure(LoopbackHTTPFailure("no connection within \(timeout)")) }
            var soError: CInt = 0
            var length = socklen_t(MemoryLayout<CInt>.size)
            system_getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError != 0 {
                system_close(fd)
                return .failure(LoopbackHTTPFailure(soError == ECONNREFUSED ? "connection refused" : "\(Errno(rawValue: soError))"))
            }
        }
        // Back to blocking, with a receive timeout for the rest of the exchange.
        _ = system_fcntl(fd, F_SETFL, system_fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var tv = timeval(tv_sec: Int(ms / 1000), tv_usec: Int((ms % 1000) * 1000))
        system_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        system_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return .success(fd)
    }
}

/// Why a probe got no HTTP reply.
public struct LoopbackHTTPFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
