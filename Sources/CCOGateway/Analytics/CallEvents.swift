public import CCOAnalytics
import Synchronization

/// Calls as they are written to the analytics database, for the subscribers of `GET /api/events`.
///
/// Each subscriber has its own bounded buffer. One that falls more than ``bufferLimit`` calls behind
/// is ended rather than silently losing calls: its client (an `EventSource`) reconnects with the
/// last id it saw and is sent what it missed from the database. When the daemon begins to drain
/// (stopping, or replaced by a restart) every stream ends, so that none holds the drain open; the
/// clients reconnect to whichever daemon then accepts.
public final class CallEvents: Sendable {
    public enum Event: Sendable, Hashable {
        case call(CallRecord)
        /// Nothing happened for a while: a comment line keeps proxies and the browser from timing out.
        case keepAlive
    }

    private struct State {
        var subscribers: [Int: AsyncStream<Event>.Continuation] = [:]
        var nextID = 0
        var ended = false
    }

    private let state = Mutex(State())
    /// The most calls a subscriber may be behind.
    public let bufferLimit: Int
    public let keepAliveInterval: Duration

    public init(bufferLimit: Int = 1024, keepAliveInterval: Duration = .seconds(15)) {
        self.bufferLimit = bufferLimit
        self.keepAliveInterval = keepAliveInterval
    }

    /// Whether anyone listens: the writer builds events only then.
    public var hasSubscribers: Bool { state.withLock { !$0.subscribers.isEmpty } }
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// A new subscription, and whether nobody else listened when it began (its calls then start
    /// from now); nil once the daemon drains.
    public func subscribe() -> (stream: AsyncStream<Event>, first: Bool)? {
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingOldest(bufferLimit))
        let added: (id: Int, first: Bool)? = state.withLock { state in
            guard !state.ended else { return nil }
            let id = state.nextID
            state.nextID += 1
            let first = state.subscribers.isEmpty
            state.subscribers[id] = continuation
            return (id, first)
        }
        guard let (id, first) = added else { return nil }
        let interval = keepAliveInterval
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { return }
                continuation.yield(.keepAlive)
            }
        }
        continuation.onTermination = { [weak self] _ in
            ticker.cancel()
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return (stream, first)
    }

    /// Hands `calls` to every subscriber, ending those that are too far behind.
    public func publish(_ calls: [CallRecord]) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for continuation in subscribers {
            for call in calls {
                if case .dropped = continuation.yield(.call(call)) {
                    continuation.finish()
                    break
                }
            }
        }
    }

    /// Ends every stream and refuses new subscribers: the daemon is draining.
    public func endAll() {
        let subscribers = state.withLock { state in
            state.ended = true
            return Array(state.subscribers.values)
        }
        for continuation in subscribers { continuation.finish() }
    }
}
