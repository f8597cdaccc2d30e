#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage
import CCOCore
import Dispatch

/// The new process's side of a standalone restart (``HandoffService`` is the old one's): asks the
/// running daemon for its listening socket, then tells it when this process serves.
final class Takeover: Sendable {
    /// The running daemon's pid.
    let previousPID: Int32
    let listener: ListeningSocket
    private let connection: UnixStream

    private init(previousPID: Int32, listener: ListeningSocket, connection: UnixStream) {
        self.previousPID = previousPID
        self.listener = listener
        self.connection = connection
    }

    /// Asks the daemon listening on `path` for its listener.
    ///
    /// - Returns: nil when no daemon listens there (nothing to take over).
    /// - Throws: ``SocketError`` when one listens but the handoff fails.
    static func begin(path: String) throws(SocketError) -> Takeover? {
        let connection: UnixStream
        do {
            connection = try UnixStream.connect(to: path)
        } catch where error.errno == .noSuchFileOrDirectory || error.errno == .connectionRefused {
            return nil
        }
        guard connection.peerUID == getuid() else {
            throw SocketError("connect", path, errno: Errno(rawValue: EPERM), reason: "the process listening there runs as another user")
        }
        try connection.send(HandoffMessage.takeover(version: HandoffMessage.version, pid: getpid()).line)
        guard let reply = try connection.receive(timeout: .seconds(10)) else {
            throw SocketError("recvmsg", path, errno: nil, reason: "the running daemon did not pass its listener")
        }
        guard case .listener(let pid)? = HandoffMessage(line: reply.message), reply.fds.count == 1 else {
            for fd in reply.fds { system_close(fd) }
            throw SocketError("recvmsg", path, errno: nil, reason: "unexpected handoff message \"\(reply.message)\"")
        }
        return Takeover(previousPID: pid, listener: ListeningSocket(fd: reply.fds[0]), connection: connection)
    }

    /// Tells the previous daemon to stop accepting and drain.
    ///
    /// - Returns: true when it acknowledged.
    func reportReady() async -> Bool {
        // Blocking socket calls: off the async executors.
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.reportReadyNow()) }
        }
    }

    private func reportReadyNow() -> Bool {
        do {
            try connection.send(HandoffMessage.ready(pid: getpid()).line)
            guard let reply = try connection.receive(timeout: .seconds(5)) else { return false }
            return HandoffMessage(line: reply.message) == .draining
        } catch {
            return false
        }
    }
}
