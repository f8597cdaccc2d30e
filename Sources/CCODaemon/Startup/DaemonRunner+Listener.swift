#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import CCOSystemd
import Logging
import SystemPackage

extension DaemonRunner {
    /// The listening socket: passed by systemd (socket activation, or back from the fd store),
    /// handed over by the daemon this one replaces, or bound here. One bound here under systemd
    /// goes into the fd store, so that a restart never closes it.
    func acquireListener(takeover: Takeover?, logger: Logger) throws(DaemonError) -> (ListeningSocket, ListenerOrigin) {
        let listener: ListeningSocket, origin: ListenerOrigin
        do {
            let passed = (try? ListenFDs.take()) ?? []
            (listener, origin) = try ListenerSource(host: config.host, port: config.port, logger: logger).acquire(passed: passed, takeover: takeover)
        } catch {
            let failure = listenFailure(error)
            logger.error("\(failure.detail)")
            throw failure
        }
        if underServiceManager, origin == .bound {
            do {
                try Notifier.notify([.fdStore, .fdName(fdStoreName)], passing: [listener.fd])
            } catch {
                logger.warning("cannot keep the listener in systemd's fd store (a restart will close it): \(error)")
            }
        }
        return (listener, origin)
    }

    /// Says why the listener could not be bound, naming the process holding the port when visible.
    func listenFailure(_ error: SocketError) -> DaemonError {
        let address = "\(config.host):\(config.port)"
        switch error.errno {
        case .addressInUse?:
            let owner = PortOwner.find(port: config.port).map { " by pid \($0.pid) (\($0.command))" } ?? ""
            return DaemonError(.addressInUse, "cannot listen on \(address): address in use\(owner); choose another port with --port, or set `port` in \(paths.configFile)")
        case .addressNotAvailable?:
            return DaemonError(.listenFailed, "cannot listen on \(address): \(config.host) is not an address of this machine; set `host` in \(paths.configFile)")
        case .permissionDenied?:
            return DaemonError(.listenFailed, "cannot listen on \(address): permission denied (ports below 1024 need privileges); choose a port from 1024 up")
        default:
            return DaemonError(.listenFailed, "cannot listen on \(address): \(error); check `host` in \(paths.configFile)")
        }
    }
}
