import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SystemPackage

/// Why an upstream call ended without a whole answer. Its description is the reason the gateway
/// puts in its 502 (or, for ``silent``, its 504).
enum UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Nothing listens at the upstream's address (ECONNREFUSED on every address it resolves to).
    case connectionRefused
    /// No connection within `upstream_connect_timeout`.
    case connectTimeout
    /// The name did not resolve, or the connection failed otherwise.
    case connectFailed(String)
    /// The TLS handshake failed (an untrusted certificate, a wrong name, no common protocol).
    case tls(String)
    /// Nothing came from the upstream for `upstream_timeout`.
    case silent
    /// The connection closed before the answer's head.
    case closedBeforeAnswer
    /// The connection closed, or the framing broke, in the middle of the answer's body.
    case cutShort
    /// What came back is not HTTP/1.1.
    case malformed(String)
    /// A whole (non-streamed) answer larger than the gateway reads.
    case answerTooLarge(limit: Int)
    /// The client's connection closed while its stream was being relayed, or its call was cancelled.
    case clientGone

    var description: String {
        switch self {
        case .connectionRefused: "connection refused"
        case .connectTimeout: "no connection within upstream_connect_timeout"
        case .connectFailed(let reason): reason
        case .tls(let reason): "TLS: \(reason)"
        case .silent: "the upstream sent nothing for upstream_timeout"
        case .closedBeforeAnswer: "the connection was closed before an answer"
        case .cutShort: "the answer was cut short"
        case .malformed(let reason): "the answer is not HTTP/1.1: \(reason)"
        case .answerTooLarge(let limit): "the answer is larger than \(limit >> 20) MB"
        case .clientGone: "the client went away"
        }
    }

    /// A failed connection attempt, from NIO's bootstrap, as one reason naming `host`.
    static func connecting(to host: String, _ error: any Error) -> UpstreamError {
        if case ChannelError.connectTimeout = error { return .connectTimeout }
        if let failure = error as? NIOConnectionError {
            let errors = failure.connectionErrors.map(\.error)
            if errors.isEmpty { return .connectFailed("cannot resolve \(host)") }
            if errors.allSatisfy({ ($0 as? IOError)?.errnoCode == Errno.connectionRefused.rawValue }) { return .connectionRefused }
            if let io = errors.lazy.compactMap({ $0 as? IOError }).first { return .connectFailed(Self.text(of: io)) }
            return .connectFailed("\(errors[0])")
        }
        if let io = error as? IOError {
            return io.errnoCode == Errno.connectionRefused.rawValue ? .connectionRefused : .connectFailed(Self.text(of: io))
        }
        return .connectFailed("\(error)")
    }

    /// An error raised on an open connection, given whether the answer's head had arrived.
    static func onConnection(_ error: any Error, afterHead: Bool) -> UpstreamError {
        if let upstream = error as? UpstreamError { return upstream }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return .tls("the upstream's certificate does not name the host or address in upstream_url")
        }
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError { return .tls("\(error)") }
        if let parser = error as? HTTPParserError {
            // An end of file inside a body whose length was announced.
            if afterHead, parser == .invalidEOFState { return .cutShort }
            return .malformed("\(parser)")
        }
        if error is IOError || error as? ChannelError == .ioOnClosedChannel || error as? ChannelError == .eof {
            return afterHead ? .cutShort : .closedBeforeAnswer
        }
        return afterHead ? .cutShort : .connectFailed("\(error)")
    }

    private static func text(of error: IOError) -> String {
        "\(Errno(rawValue: error.errnoCode))"
    }
}
