#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CCOCore
import CCOAnalytics

/// The `usage` object of a Messages API response or stream event.
struct UsageFields: Decodable, Sendable {
    struct CacheCreation: Decodable, Sendable {
        var ephemeral_5m_input_tokens: Int?
        var ephemeral_1h_input_tokens: Int?
    }
    struct ServerToolUse: Decodable, Sendable {
        var web_search_requests: Int?
    }
    var input_tokens: Int?
    var output_tokens: Int?
    var cache_creation_input_tokens: Int?
    var cache_read_input_tokens: Int?
    var cache_creation: CacheCreation?
    var server_tool_use: ServerToolUse?
    var service_tier: String?

    /// Fields present here replace those of `usage` (a `message_delta` carries cumulative counts, and
    /// may repeat the input side without the split of cache writes by lifetime).
    func applied(to usage: TokenUsage) -> TokenUsage {
        var result = usage
        if let v = input_tokens { result.input = v }
        if let v = output_tokens { result.output = v }
        if let v = cache_read_input_tokens { result.cacheRead = v }
        if let split = cache_creation {
            let oneHour = split.ephemeral_1h_input_tokens ?? 0
            result.cacheWrite1h = oneHour
            result.cacheWrite = split.ephemeral_5m_input_tokens ?? max(0, (cache_creation_input_tokens ?? oneHour) - oneHour)
        } else if let total = cache_creation_input_tokens, total != result.cacheWrite + result.cacheWrite1h {
            // No split: what is not known to be 1-hour is 5-minute.
            result.cacheWrite1h = min(result.cacheWrite1h, total)
            result.cacheWrite = total - result.cacheWrite1h
        }
        if let v = server_tool_use?.web_search_requests { result.webSearchRequests = v }
        return result
    }
}

/// Reads model and usage from a complete (non-streamed) Messages API response body.
enum UsageReader {
    private struct Message: Decodable {
        var model: String?
        var usage: UsageFields?
    }

    /// The response's model, usage and service tier; nil for a body that is not a message (an
    /// error, a model list).
    static func read(_ body: [UInt8]) -> (model: String?, usage: TokenUsage, serviceTier: String?)? {
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(body)), let usage = message.usage else { return nil }
        return (message.model, usage.applied(to: .zero), usage.service_tier)
    }
}

/// Follows a `text/event-stream` Messages API response as its chunks pass through, to learn the
/// usage: `message_start` carries the input and prompt-cache counts, each `message_delta` the
/// cumulative output count. Chunks may split lines and events anywhere.
struct StreamUsageScanner: Sendable {
    private(set) var model: String?
    private(set) var usage = TokenUsage.zero
    private(set) var serviceTier: String?
    /// Whether a `message_stop` event arrived (the stream was complete).
    private(set) var completed = false
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    /// Longer lines are text deltas that cannot carry usage; they are skipped, not buffered.
    private static let longestUsefulLine = 1 << 16
    private var skippingLine = false

    private struct Event: Decodable {
        struct Start: Decodable {
            var model: String?
            var usage: UsageFields?
        }
        var type: String
        var message: Start?
        var usage: UsageFields?
    }

    mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            take(rest[..<newline])
            if !skippingLine { endLine() }
            line.removeAll(keepingCapacity: true)
            skippingLine = false
            rest = rest[rest.index(after: newline)...]
        }
        take(rest)
    }

    /// Part of the current line, copied in one piece.
    private mutating func take(_ part: some Collection<UInt8>) {
        guard !skippingLine, !part.isEmpty else { return }
        if line.count + part.count > Self.longestUsefulLine {
            skippingLine = true
            line.removeAll(keepingCapacity: true)
        } else {
            line.append(contentsOf: part)
        }
    }

    private mutating func endLine() {
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.isEmpty {
            dispatch()
            return
        }
        let prefix = Array("data:".utf8)
        guard line.starts(with: prefix) else { return }
        var value = line.dropFirst(prefix.count)
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        if !data.isEmpty { data.append(UInt8(ascii: "\n")) }
        data.append(contentsOf: value)
    }

    private mutating func dispatch() {
        defer { data.removeAll(keepingCapacity: true) }
        guard !data.isEmpty, Self.mentionsMessageEvent(data) else { return }
        guard let event = try? JSONDecoder().decode(Event.self, from: Data(data)) else { return }
        switch event.type {
        case "message_start":
            if let model = event.message?.model { self.model = model }
            if let fields = event.message?.usage {
                usage = fields.applied(to: usage)
                serviceTier = fields.service_tier ?? serviceTier
            }
        case "message_delta":
            if let fields = event.usage {
                usage = fields.applied(to: usage)
                serviceTier = fields.service_tier ?? serviceTier
            }
        case "message_stop":
            completed = true
        default:
            break
        }
    }

    /// A cheap test before decoding: only `message_*` events are of interest.
    private static func mentionsMessageEvent(_ data: [UInt8]) -> Bool {
        let needle = Array("\"message_".utf8)
        guard data.count >= needle.count else { return false }
        for start in 0 ... (data.count - needle.count) where data[start] == needle[0] {
            if data[start ..< start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
