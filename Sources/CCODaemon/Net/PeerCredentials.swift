#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import SystemPackage

/// One end of a TCP connection: its family, address bytes (network order) and port.
public struct TCPEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var family: CInt
    /// 4 bytes for AF_INET, 16 for AF_INET6.
    public var address: [UInt8]
    public var port: UInt16

    public init(family: CInt, address: [UInt8], port: UInt16) {
        self.family = family
        self.address = address
        self.port = port
    }

    /// An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, a v4 client of a dual-stack listener) as IPv4.
    var unmapped: TCPEndpoint {
        guard family == AF_INET6, address.count == 16, address[0 ..< 10].allSatisfy({ $0 == 0 }), address[10] == 0xff, address[11] == 0xff else { return self }
        return TCPEndpoint(family: AF_INET, address: Array(address[12...]), port: port)
    }

    public var isLoopback: Bool {
        let endpoint = unmapped
        if endpoint.family == AF_INET { return endpoint.address.first == 127 }
        return endpoint.address == [UInt8](repeating: 0, count: 15) + [1]
    }

    public var description: String {
        let endpoint = unmapped
        if endpoint.family == AF_INET { return endpoint.address.map(String.init).joined(separator: ".") + ":\(port)" }
        var words: [String] = []
        for i in stride(from: 0, to: 16, by: 2) { words.append(String(UInt16(endpoint.address[i]) << 8 | UInt16(endpoint.address[i + 1]), radix: 16)) }
        return "[" + words.joined(separator: ":") + "]:\(port)"
    }
}

/// Who owns the other end of a loopback TCP connection: the uid of the client's socket, asked of the
/// kernel by its exact 4-tuple over `NETLINK_SOCK_DIAG` (`inet_diag_req_v2`, as `ss` does), with
/// `/proc/net/tcp{,6}` as the fallback where sock_diag is not available.
public enum PeerCredentials {
    /// Why the owner could not be found.
    public struct LookupError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The uid owning the socket at `peer` that is connected to `local`.
    public static func owner(ofPeer peer: TCPEndpoint, connectedTo local: TCPEndpoint) -> Result<UInt32, LookupError> {
        let peer = peer.unmapped, local = local.unmapped
        switch sockDiag(peer: peer, local: local) {
        case .success(let uid): return .success(uid)
        case .failure(let netlink):
            if let uid = procNet(peer: peer, local: local) { return .success(uid) }
            return .failure(LookupError(description: "\(netlink); not in /proc/net/tcp either"))
        }
    }

    /// Why sock_diag cannot be used here (a unit's `RestrictAddressFamilies=` without AF_NETLINK, a
    /// seccomp filter), or nil when a netlink socket opens.
    public static func sockDiagProblem() -> String? {
        let fd = system_socket(AF_NETLINK, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 4 /* NETLINK_SOCK_DIAG */)
        guard fd >= 0 else { return "cannot open a NETLINK_SOCK_DIAG socket: \(Errno(rawValue: errno))" }
        system_close(fd)
        return nil
    }

    // SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, NLMSG_ERROR; the layouts of nlmsghdr (16 bytes),
    // inet_diag_req_v2 (56) and inet_diag_msg (uid at offset 64), from <linux/inet_diag.h>.
    private static let sockDiagByFamily: UInt16 = 20
    private static let netlinkError: UInt16 = 2

    static func request(peer: TCPEndpoint, local: TCPEndpoint, sequence: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func be16(_ v: UInt16) { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
        func address(_ a: [UInt8]) { bytes += a + [UInt8](repeating: 0, count: 16 - a.count) }
        u32(72); u16(sockDiagByFamily); u16(1 /* NLM_F_REQUEST */); u32(sequence); u32(0)
        bytes += [UInt8(peer.family), UInt8(IPPROTO_TCP), 0, 0]
        u32(.max)  // every state
        // The socket looked up is the client's: its source is the peer, its destination this daemon.
        be16(peer.port); be16(local.port); address(peer.address); address(local.address)
        u32(0); u32(.max); u32(.max)  // any interface, INET_DIAG_NOCOOKIE
        return bytes
    }

    private static func sockDiag(peer: TCPEndpoint, local: TCPEndpoint) -> Result<UInt32, LookupError> {
        let fd = system_socket(AF_NETLINK, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 4 /* NETLINK_SOCK_DIAG */)
        guard fd >= 0 else { return .failure(LookupError(description: "netlink socket: \(Errno(rawValue: errno))")) }
        defer { system_close(fd) }
        let message = request(peer: peer, local: local, sequence: 1)
        // sockaddr_nl { nl_family = AF_NETLINK, nl_pad, nl_pid = 0 (the kernel), nl_groups = 0 }
        // (<linux/netlink.h> does not import into Swift).
        var kernel = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: sa_family_t(AF_NETLINK)) { kernel.replaceSubrange(0 ..< 2, with: $0) }
        let sent = kernel.withUnsafeBytes { raw in
            let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            return SystemCall.value { message.withUnsafeBytes { system_sendto(fd, $0.baseAddress, $0.count, 0, address, socklen_t(raw.count)) } }
        }
        if case .failure(let error) = sent { return .failure(LookupError(description: "sock_diag send: \(error)")) }
        var reply = [UInt8](repeating: 0, count: 8192)
        let received = SystemCall.value { reply.withUnsafeMutableBytes { system_recv(fd, $0.baseAddress, $0.count, 0) } }
        guard case .success(let count) = received else {
            if case .failure(let error) = received { return .failure(LookupError(description: "sock_diag receive: \(error)")) }
            return .failure(LookupError(description: "sock_diag receive failed"))
        }
        guard count >= 20 else { return .failure(LookupError(description: "sock_diag: a reply of \(count) bytes")) }
        func u32(_ offset: Int) -> UInt32 { reply[offset ..< offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        let type = UInt16(reply[4]) | UInt16(reply[5]) << 8
        if type == netlinkError {
            let code = Int32(bitPattern: u32(16))
            return .failure(LookupError(description: code == -ENOENT ? "no such connection" : "sock_diag: \(Errno(rawValue: -code))"))
        }
        guard type == sockDiagByFamily, count >= 16 + 72 else { return .failure(LookupError(description: "sock_diag: an unexpected reply (type \(type))")) }
        // The kernel falls back to a listening socket on the looked-up source's address and port
        // when no connection matches: only the exact connection's owner is the peer's.
        func be16(_ offset: Int) -> UInt16 { UInt16(reply[offset]) << 8 | UInt16(reply[offset + 1]) }
        guard be16(16 + 4) == peer.port, be16(16 + 6) == local.port else {
            return .failure(LookupError(description: "no such connection (the kernel matched \(be16(16 + 4)) → \(be16(16 + 6)))"))
        }
        return .success(u32(16 + 64))
    }

    /// `/proc/net/tcp{,6}`: `sl local_address rem_address st … uid`, addresses as hex words in host order.
    static func procNet(peer: TCPEndpoint, local: TCPEndpoint) -> UInt32? {
        let file = peer.family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6"
        guard let bytes = try? FileSystem.readIfExists(file) else { return nil }
        let want = (hex(peer), hex(local))
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 7, fields[1] == want.0, fields[2] == want.1 else { continue }
            return UInt32(fields[7])
        }
        return nil
    }

    /// The kernel's spelling: each 32-bit word of the address as it sits in memory, printed as hex, then the port.
    static func hex(_ endpoint: TCPEndpoint) -> Substring {
        var text = ""
        for word in stride(from: 0, to: endpoint.address.count, by: 4) {
            let value = endpoint.address[word ..< word + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            text += hexDigits(UInt64(value), width: 8)
        }
        return Substring(text + ":" + hexDigits(UInt64(endpoint.port), width: 4))
    }

    private static func hexDigits(_ value: UInt64, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
