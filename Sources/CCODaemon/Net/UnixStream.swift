#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage
import CCOCore

/// A unix stream socket that carries short text messages with descriptors attached (`SCM_RIGHTS`):
/// how a running daemon hands its listening socket to the process that replaces it.
///
/// Every call is blocking with a timeout; the caller runs it off the async executors. The type owns
/// its descriptor and closes it on deinit.
public final class UnixStream: @unchecked Sendable {
    public let fd: CInt
    private var isClosed = false

    private init(fd: CInt) { self.fd = fd }
    deinit { close() }

    /// Largest message, and most descriptors, one ``send(_:passing:)`` carries.
    public static let maximumMessage = 4096
    public static let maximumDescriptors = 8

    // MARK: listening

    /// Listens on `path` (mode 0600), replacing whatever is there only once the new socket is bound
    /// (bind to a temporary name, then rename), so the path never points at nothing.
    ///
    /// - Returns: the listening socket and the inode it is bound to (see ``isStillBound(at:inode:)``).
    public static func listen(at path: String) throws(SocketError) -> (UnixStream, inode: UInt64) {
        let temporary = path + ".\(getpid())"
        let socket = try make(path)
        system_unlink(temporary)
        var address = try unixAddress(temporary)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { system_bind(socket.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw SocketError("bind", temporary, errno: Errno(rawValue: errno)) }
        system_chmod(temporary, 0o600)
        guard system_listen(socket.fd, 4) == 0 else { let e = errno; system_unlink(temporary); throw SocketError("listen", temporary, errno: Errno(rawValue: e)) }
        guard system_rename(temporary, path) == 0 else { let e = errno; system_unlink(temporary); throw SocketError("rename", path, errno: Errno(rawValue: e)) }
        var st = stat()
        guard system_stat(path, &st) == 0 else { throw SocketError("stat", path, errno: Errno(rawValue: errno)) }
        return (socket, UInt64(st.st_ino))
    }

    /// Whether `path` is still the socket bound with inode `inode` (another process may have renamed
    /// its own over it since).
    public static func isStillBound(at path: String, inode: UInt64) -> Bool {
        var st = stat()
        return system_stat(path, &st) == 0 && UInt64(st.st_ino) == inode
    }

    /// Accepts one connection, waiting up to `timeout`; nil when none came.
    public func accept(timeout: Duration) throws(SocketError) -> UnixStream? {
        guard try wait(for: POLLIN, timeout: timeout) else { return nil }
        let connection: CInt
        switch SystemCall.value({ system_accept(fd, nil, nil) }) {
        case .success(let accepted): connection = accepted
        case .failure(.resourceTemporarilyUnavailable): return nil
        case .failure(let error): throw SocketError("accept", "handoff socket", errno: error)
        }
        system_fcntl(connection, F_SETFD, FD_CLOEXEC)
        return UnixStream(fd: connection)
    }

    // MARK: connecting

    /// Connects to `path`.
    ///
    /// - Throws: ``SocketError`` with `ENOENT` or `ECONNREFUSED` when nothing listens there.
    public static func connect(to path: String) throws(SocketError) -> UnixStream {
        let socket = try make(path)
        var address = try unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { system_connect(socket.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw SocketError("connect", path, errno: Errno(rawValue: errno)) }
        return socket
    }

    /// The user id of the process at the other end (`SO_PEERCRED`).
    public var peerUID: UInt32? {
        #if os(Linux)
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }, which Glibc only declares under _GNU_SOURCE.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard system_getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
        return credentials.uid
        #else
        return nil
        #endif
    }

    // MARK: messages

    /// Sends one message, with `fds` attached when not empty.
    public func send(_ message: String, passing fds: [CInt] = []) throws(SocketError) {
        precondition(fds.count <= Self.maximumDescriptors)
        var bytes = Array(message.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.maximumMessage else { throw SocketError("sendmsg", "handoff socket", errno: Errno(rawValue: EMSGSIZE)) }
        let controlLength = fds.isEmpty ? 0 : Self.controlSpace(descriptors: fds.count)
        var control = [UInt8](repeating: 0, count: max(controlLength, 1))
        let sent = bytes.withUnsafeMutableBytes { payload -> Int in
            control.withUnsafeMutableBytes { controlBuffer -> Int in
                var vector = iovec(iov_base: payload.baseAddress, iov_len: payload.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int in
                    var header = msghdr()
                    header.msg_iov = vectorPointer
                    header.msg_iovlen = 1
                    if controlLength > 0 {
                        Self.fillRights(controlBuffer, fds)
                        header.msg_control = controlBuffer.baseAddress
                        header.msg_controllen = controlLength
                    }
                    return system_sendmsg(fd, &header, CInt(MSG_NOSIGNAL))
                }
            }
        }
        guard sent == bytes.count else {
            throw SocketError("sendmsg", "handoff socket", errno: Errno(rawValue: sent < 0 ? errno : EMSGSIZE))
        }
    }

    /// Receives one message and the descriptors attached to it (each marked close-on-exec), waiting
    /// up to `timeout`.
    ///
    /// - Returns: nil when the other end closed the connection, or nothing came in time.
    public func receive(timeout: Duration) throws(SocketError) -> (message: String, fds: [CInt])? {
        guard try wait(for: POLLIN, timeout: timeout) else { return nil }
        var payload = [UInt8](repeating: 0, count: Self.maximumMessage)
        let controlLength = Self.controlSpace(descriptors: Self.maximumDescriptors)
        var control = [UInt8](repeating: 0, count: controlLength)
        var descriptors: [CInt] = []
        let received = payload.withUnsafeMutableBytes { payloadBuffer -> Int in
            control.withUnsafeMutableBytes { controlBuffer -> Int in
                var vector = iovec(iov_base: payloadBuffer.baseAddress, iov_len: payloadBuffer.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int in
                    var header = msghdr()
                    header.msg_iov = vectorPointer
                    header.msg_iovlen = 1
                    header.msg_control = controlBuffer.baseAddress
                    header.msg_controllen = controlLength
                    let count = system_recvmsg(fd, &header, CInt(MSG_CMSG_CLOEXEC))
                    if count >= 0 { descriptors = Self.readRights(controlBuffer, length: Int(header.msg_controllen)) }
                    return count
                }
            }
        }
        guard received >= 0 else { throw SocketError("recvmsg", "handoff socket", errno: Errno(rawValue: errno)) }
        guard received > 0 else {
            for fd in descriptors { system_close(fd) }
            return nil
        }
        return (String(decoding: payload[..<received], as: UTF8.self), descriptors)
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = system_close(fd)
    }

    // MARK: private

    private static func make(_ subject: String) throws(SocketError) -> UnixStream {
        let fd = system_socket(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", subject, errno: Errno(rawValue: errno)) }
        return UnixStream(fd: fd)
    }

    private static func unixAddress(_ path: String) throws(SocketError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw SocketError("bind", path, errno: Errno(rawValue: ENAMETOOLONG), reason: "the path is longer than a unix socket address allows (\(capacity - 1) bytes); choose a shorter CCO_HOME")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    private func wait(for events: CInt, timeout: Duration) throws(SocketError) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            let milliseconds = max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
            switch SystemCall.value({ system_poll(&entry, 1, CInt(clamping: milliseconds)) }) {
            case .success(let ready): return ready > 0
            case .failure(let error): throw SocketError("poll", "handoff socket", errno: error)
            }
        }
    }

    // cmsghdr layout (CMSG_SPACE, CMSG_LEN, CMSG_DATA), which Swift cannot import as macros.
    private static var headerSize: Int { MemoryLayout<cmsghdr>.stride }
    private static func align(_ n: Int) -> Int { (n + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1) }
    private static func controlSpace(descriptors: Int) -> Int { headerSize + align(descriptors * MemoryLayout<CInt>.size) }

    private static func fillRights(_ buffer: UnsafeMutableRawBufferPointer, _ fds: [CInt]) {
        let header = buffer.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
        header.pointee.cmsg_len = headerSize + fds.count * MemoryLayout<CInt>.size
        header.pointee.cmsg_level = SOL_SOCKET
        header.pointee.cmsg_type = CInt(SCM_RIGHTS)
        let data = buffer.baseAddress! + headerSize
        for (index, fd) in fds.enumerated() {
            data.storeBytes(of: fd, toByteOffset: index * MemoryLayout<CInt>.size, as: CInt.self)
        }
    }

    private static func readRights(_ buffer: UnsafeMutableRawBufferPointer, length: Int) -> [CInt] {
        var result: [CInt] = []
        var offset = 0
        while offset + headerSize <= length {
            let header = (buffer.baseAddress! + offset).load(as: cmsghdr.self)
            let total = Int(header.cmsg_len)
            guard total >= headerSize, offset + total <= length else { break }
            if header.cmsg_level == SOL_SOCKET && header.cmsg_type == CInt(SCM_RIGHTS) {
                let count = (total - headerSize) / MemoryLayout<CInt>.size
                for index in 0 ..< count {
                    result.append((buffer.baseAddress! + offset + headerSize).load(fromByteOffset: index * MemoryLayout<CInt>.size, as: CInt.self))
                }
            }
            offset += align(total)
        }
        return result
    }
}
