#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import Logging
import NIOCore

/// Who may connect over loopback: the daemon's own user, those named by `allow_users`, and root,
/// who can read the daemon's files, token and database anyway.
struct PeerPolicy: Sendable {
    let owner: UInt32
    let allowed: Set<UInt32>
    let logger: Logger

    init(config: DaemonConfig, logger: Logger) {
        owner = UserAccount.current
        allowed = Set(config.allowUsers.compactMap(UserAccount.uid(named:)) + [owner, 0])
        self.logger = logger
        if let problem = PeerCredentials.sockDiagProblem() {
            logger.warning("peer check: \(problem); reading /proc/net/tcp for each loopback connection instead, which grows slow with many connections (a systemd unit needs AF_NETLINK in RestrictAddressFamilies=)")
        }
    }

    enum Verdict: Equatable {
        case allowed
        case refused(String)
    }

    /// Remote peers (`allow_remote = true`) are out of sock_diag's reach and pass; a loopback peer
    /// passes when its socket belongs to an allowed user. A peer whose owner cannot be found is
    /// refused: a connection nobody can vouch for is not served.
    func verdict(local: TCPEndpoint, remote: TCPEndpoint) -> Verdict {
        guard remote.isLoopback else { return .allowed }
        switch PeerCredentials.owner(ofPeer: remote, connectedTo: local) {
        case .success(let uid) where allowed.contains(uid):
            return .allowed
        case .success(let uid):
            let who = UserAccount.name(of: uid).map { "uid \(uid) (\($0))" } ?? "uid \(uid)"
            return .refused("refused a connection from \(remote): it belongs to \(who), not to this daemon's user (uid \(owner)); `allow_users` in config.toml lets named users in")
        case .failure(let error):
            return .refused("refused a connection from \(remote): its owner cannot be found (\(error))")
        }
    }
}

/// First in each connection's pipeline: before a byte of the request is read, asks the kernel who
/// owns the client's socket (``PeerCredentials``) and closes a connection of another user with a
/// 403 and one log line. An allowed connection loses the handler at once, so keep-alive requests
/// pay nothing.
final class PeerCheckHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    private let policy: PeerPolicy
    private var refused = false

    init(policy: PeerPolicy) { self.policy = policy }

    func channelActive(context: ChannelHandlerContext) {
        guard let local = TCPEndpoint(context.channel.localAddress), let remote = TCPEndpoint(context.channel.remoteAddress) else {
            context.fireChannelActive()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        switch policy.verdict(local: local, remote: remote) {
        case .allowed:
            context.fireChannelActive()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .refused(let line):
            refused = true
            policy.logger.warning("\(line)")
            context.fireChannelActive()
            let body = #"{"error":{"message":"cco: this daemon serves its owner's programs only; allow_users in its config.toml lets named users in","type":"permission_error"},"type":"error"}"#
            let head = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            // The answer, then FIN; the request is read and dropped until the client closes (or 2 s):
            // closing with its bytes unread would send a reset, which can destroy the answer
            // before the client reads it.
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(NIOAny(ByteBuffer(string: head + body))).whenComplete { _ in
                loopBound.value.close(mode: .output, promise: nil)
            }
            context.eventLoop.scheduleTask(in: .seconds(2)) { loopBound.value.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection's request is never passed on.
        guard !refused else { return }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if refused, case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

extension TCPEndpoint {
    /// From the raw `sockaddr_in` or `sockaddr_in6`: the port at bytes 2–3 (network order), the
    /// address at 4–7, or at 8–23 after the IPv6 flow label.
    init?(_ address: NIOCore.SocketAddress?) {
        guard let address, address.protocol == .inet || address.protocol == .inet6 else { return nil }
        let bytes = address.withSockAddr { pointer, size in Array(UnsafeRawBufferPointer(start: pointer, count: size)) }
        let port = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        if address.protocol == .inet {
            guard bytes.count >= 8 else { return nil }
            self.init(family: AF_INET, address: Array(bytes[4 ..< 8]), port: port)
        } else {
            guard bytes.count >= 24 else { return nil }
            self.init(family: AF_INET6, address: Array(bytes[8 ..< 24]), port: port)
        }
    }
}
