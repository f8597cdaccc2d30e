#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import CCOSystemd
import Logging

/// Where the daemon's listening socket came from. A restart keeps the listener open whenever it can:
/// the kernel then queues new connections while one process hands over to the next, so none is
/// refused.
enum ListenerOrigin: Equatable, CustomStringConvertible {
    /// Bound by this process.
    case bound
    /// Passed by systemd from `cco-daemon.socket` (socket activation).
    case socketUnit(name: String)
    /// Passed back by systemd from the service's file descriptor store after a restart.
    case fdStore
    /// Passed by the daemon this process replaces (`cco daemon restart`, standalone).
    case handedOver(pid: Int32)

    var description: String {
        switch self {
        case .bound: "bound by this process"
        case .socketUnit(let name): "from \(name) (socket activation)"
        case .fdStore: "kept in systemd's fd store across the restart"
        case .handedOver(let pid): "handed over by pid \(pid)"
        }
    }
}

/// The name the listener is stored under in systemd's fd store (`FDNAME=`), and found by in
/// `$LISTEN_FDNAMES` after a restart.
let fdStoreName = "http"

struct ListenerSource {
    let host: String
    let port: Int
    let logger: Logger

    /// The listener to serve on: a passed one for this address (systemd's, or the previous daemon's),
    /// else one bound here. A passed socket for another address is closed and, if it was stored,
    /// removed from the store; a socket unit's is used anyway (its address is the unit's to change).
    func acquire(passed: [ListenFD], takeover: Takeover?) throws(SocketError) -> (ListeningSocket, ListenerOrigin) {
        var choice: (ListeningSocket, ListenerOrigin)?
        for passed in passed {
            let socket = ListeningSocket(fd: passed.fd)
            guard choice == nil, passed.isListeningTCPSocket else {
                logger.warning("closing passed descriptor \(passed.fd) (\(passed.name)): not a listening TCP socket, or one too many")
                socket.close()
                continue
            }
            let matches = socket.isBound(toHost: host, port: port)
            let address = socket.localAddress.map { "\($0.host):\($0.port)" } ?? "an unknown address"
            if passed.name == fdStoreName {
                if matches {
                    choice = (socket, .fdStore)
                } else {
                    logger.notice("the stored listener is on \(address), the config asks for \(host):\(port); binding anew")
                    socket.close()
                    _ = try? Notifier.notify([.fdStoreRemove, .fdName(fdStoreName)])
                }
            } else {
                if !matches {
                    logger.warning("\(passed.name) listens on \(address) but the config asks for \(host):\(port); serving on \(address). Run `cco daemon install` to render the socket unit from the config")
                }
                choice = (socket, .socketUnit(name: passed.name))
            }
        }
        if let takeover {
            if choice == nil, takeover.listener.isBound(toHost: host, port: port) {
                choice = (takeover.listener, .handedOver(pid: takeover.previousPID))
            } else {
                let address = takeover.listener.localAddress.map { "\($0.host):\($0.port)" } ?? "?"
                logger.notice("pid \(takeover.previousPID) listens on \(address), the config asks for \(host):\(port); binding anew")
                takeover.listener.close()
            }
        }
        if let choice { return choice }
        return (try ListeningSocket.bind(host: host, port: port), .bound)
    }
}
