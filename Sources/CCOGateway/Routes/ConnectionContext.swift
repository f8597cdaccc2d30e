public import Hummingbird
public import NIOCore

/// A request's context, with the client connection it came on: the gateway writes a stream's
/// events to that connection from the upstream connection's event loop (``UpstreamExchange``).
public struct ConnectionContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's connection.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
