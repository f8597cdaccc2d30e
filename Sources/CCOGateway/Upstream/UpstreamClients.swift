import AsyncHTTPClient
import NIOCore

/// The upstream's HTTP client of each event loop: a call goes out on a pooled connection of the loop
/// that serves its client's connection, so a stream's events are read from the upstream and written
/// to the client by one thread, with no hand-over between loops at each event.
///
/// One shared pool would prefer the client's loop but take an idle connection of another loop
/// (requiring the loop instead makes async-http-client close each such connection once it is idle,
/// a new connection, and TLS handshake, for every call). A pool per loop keeps both: calls on a
/// loop reuse that loop's connections. The price is that an idle connection of one loop does not
/// serve another's calls, so up to one pool's worth more connections can stay open; the bound on
/// calls in flight (`upstream_max_connections`) is kept across all of them by ``UpstreamSlots``.
final class UpstreamClients: Sendable {
    private let byLoop: [ObjectIdentifier: HTTPClient]
    private let all: [HTTPClient]

    init(group: any EventLoopGroup, configuration: HTTPClient.Configuration) {
        var byLoop: [ObjectIdentifier: HTTPClient] = [:]
        var all: [HTTPClient] = []
        for loop in group.makeIterator() {
            let client = HTTPClient(eventLoopGroup: loop, configuration: configuration)
            byLoop[ObjectIdentifier(loop)] = client
            all.append(client)
        }
        self.byLoop = byLoop
        self.all = all
    }

    /// The client whose connections are on `loop`; for a loop of another group, the first loop's,
    /// whose connections hand their reads over to `loop`.
    func client(for loop: any EventLoop) -> HTTPClient {
        byLoop[ObjectIdentifier(loop)] ?? all[0]
    }

    /// Closes every pool's connections; the first failure is thrown once all have been asked.
    func shutdown() async throws {
        var failure: (any Error)?
        for client in all {
            do { try await client.shutdown() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }
}
