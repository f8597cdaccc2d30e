#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import Dispatch
import Logging
import ServiceLifecycle

/// The running daemon's side of a standalone restart: listens on `handoff.sock` in the state
/// directory and, when the process that `cco daemon restart` started asks, passes it the listening
/// socket (``HandoffMessage``). Once the new process has started, this one stops accepting, lets the
/// daemon lock go, the new one accepts (and takes the lock), and ``onHandedOver`` starts this
/// daemon's graceful shutdown: it finishes its requests, for up to `drain_timeout`, while the new
/// one serves.
///
/// Only a process of the same user may ask (`SO_PEERCRED`; the socket is also 0600 in a 0700
/// directory).
final class HandoffService: Service, Sendable {
    let path: String
    /// `handoff.sock`, listening since before the daemon reported ready (``listen(at:logger:)``), so
    /// that a `cco daemon restart` right after this daemon's start finds it; nil when it could not be made.
    let socket: (stream: UnixStream, inode: UInt64)?
    let listener: ListeningSocket
    /// Runs before the socket is passed: saves what the new process should start with (the cache).
    let prepare: @Sendable () -> Void
    /// Runs once the new process is ready, with its pid, before this one stops accepting.
    let movingTo: @Sendable (Int32) -> Void
    /// Closes this daemon's server channel (its connections go on being served) and returns once no
    /// more connection will be accepted here.
    let stopAccepting: @Sendable () async -> Void
    /// Lets the daemon lock go, for the new process to take once it accepts.
    let releaseLock: @Sendable () -> Void
    /// Runs once the new process accepts, with its pid: drain and exit.
    let onHandedOver: @Sendable (Int32) -> Void
    let logger: Logger

    /// Listens on `path`; nil (and a warning) when it cannot, so that restart stops and starts instead.
    static func listen(at path: String, logger: Logger) -> (stream: UnixStream, inode: UInt64)? {
        do {
            let (stream, inode) = try UnixStream.listen(at: path)
            return (stream, inode)
        } catch {
            logger.warning("cannot listen on \(path); `cco daemon restart` will stop and start instead of handing over: \(error)")
            return nil
        }
    }

    init(path: String, socket: (stream: UnixStream, inode: UInt64)?, listener: ListeningSocket, logger: Logger,
         prepare: @escaping @Sendable () -> Void, movingTo: @escaping @Sendable (Int32) -> Void,
         stopAccepting: @escaping @Sendable () async -> Void,
         releaseLock: @escaping @Sendable () -> Void, onHandedOver: @escaping @Sendable (Int32) -> Void) {
        self.path = path
        self.socket = socket
        self.listener = listener
        self.logger = logger
        self.prepare = prepare
        self.movingTo = movingTo
        self.stopAccepting = stopAccepting
        self.releaseLock = releaseLock
        self.onHandedOver = onHandedOver
    }

    func run() async throws {
        guard let (socket, inode) = self.socket else {
            try? await gracefulShutdown()
            return
        }
        // Woken by the kernel when a process connects; cancelled at once when the daemon stops.
        let queue = DispatchQueue(label: "cco.handoff")
        let source = DispatchSource.makeReadSource(fileDescriptor: socket.fd, queue: queue)
        let finished = DispatchSemaphore(value: 0)
        source.setEventHandler { [self] in
            guard let connection = try? socket.accept(timeout: .zero) else { return }
            if converse(connection) { source.cancel() }
        }
        source.setCancelHandler { finished.signal() }
        source.resume()
        try? await gracefulShutdown()
        source.cancel()
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                finished.wait()  // after a conversation in progress, if any
                continuation.resume()
            }
        }
        socket.close()
        // The process that took over has renamed its own socket over the path by now; leave that.
        if UnixStream.isStillBound(at: path, inode: inode) { system_unlink(path) }
    }

    /// One takeover attempt; true when the listener was handed over and this daemon now drains.
    private func converse(_ connection: UnixStream) -> Bool {
        defer { connection.close() }
        guard connection.peerUID == getuid() else {
            logger.warning("handoff socket: refused a connection from another user")
            return false
        }
        do {
            guard let hello = try connection.receive(timeout: .seconds(2)),
                  case .takeover(let version, let pid)? = HandoffMessage(line: hello.message) else { return false }
            guard version == HandoffMessage.version else {
                logger.warning("handoff: pid \(pid) speaks handoff version \(version), this daemon \(HandoffMessage.version); not handing over")
                return false
            }
            logger.info("handoff: pid \(pid) asks for the listener")
            prepare()
            try connection.send(HandoffMessage.listener(pid: getpid()).line, passing: [listener.fd])
            // The new process opens the database, restores the cache and binds nothing: seconds at most.
            guard let answer = try connection.receive(timeout: .seconds(60)),
                  case .ready(let newPID)? = HandoffMessage(line: answer.message) else {
                logger.warning("handoff: pid \(pid) did not become ready; still serving")
                return false
            }
            movingTo(newPID)
            // Two processes never accept from the socket at once: this one stops before the new
            // one starts (connections wait in the kernel's queue meanwhile).
            let stopped = DispatchSemaphore(value: 0)
            Task { [stopAccepting] in
                await stopAccepting()
                stopped.signal()
            }
            stopped.wait()
            releaseLock()
            try? connection.send(HandoffMessage.draining.line)
            logger.info("handoff: pid \(newPID) accepts from now on; draining and exiting")
            onHandedOver(newPID)
            return true
        } catch {
            logger.warning("handoff failed, still serving: \(error)")
            return false
        }
    }
}
