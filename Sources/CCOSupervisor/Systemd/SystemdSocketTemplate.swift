public import CCOCore

/// The socket unit for socket activation, rendered from the template that ships as
/// `systemd/cco-daemon.socket` (the text below; a test keeps the two identical).
public struct SystemdSocketTemplate: Sendable, Hashable {
    public static let unitName = "cco-daemon.socket"

    public static let template = #"""
# cco daemon: socket activation. With `socket_activation = true`, `cco daemon install` renders this
# template into ~/.config/systemd/user/cco-daemon.socket: systemd listens on the daemon's address
# and starts cco-daemon.service on the first connection. The socket stays open while the service
# stops, starts or restarts, so connections wait in its queue instead of being refused.
[Unit]
Description=cco daemon socket (starts cco-daemon.service on the first connection)

[Socket]
ListenStream={{LISTEN}}
Backlog=4096
NoDelay=yes

[Install]
WantedBy=sockets.target

"""#

    /// The numeric address systemd listens on: `127.0.0.1:3000`, `[::1]:3000`.
    public let listen: String

    /// The socket for `host:port`; a host name is resolved to its first address, as the daemon binds.
    ///
    /// - Throws: ``ConfigError`` when the port is 0 (systemd cannot pick one for the daemon to
    ///   report) or the host does not resolve.
    public init(host: String, port: Int, configFile: String) throws(ConfigError) {
        guard port != 0 else {
            throw ConfigError(file: configFile, line: nil, key: ConfigKey.port.name,
                              message: "`socket_activation` needs a fixed `port` (systemd binds it before the daemon runs); set `port` to a number from 1 to 65535")
        }
        guard let address = (try? SocketAddress.resolve(host: host, port: port))?.first?.numeric?.host else {
            throw ConfigError(file: configFile, line: nil, key: ConfigKey.host.name, message: "`host` \"\(host)\" does not resolve to an address")
        }
        listen = address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    public func render() -> String {
        Self.template.replacing("{{LISTEN}}", with: listen)
    }
}
