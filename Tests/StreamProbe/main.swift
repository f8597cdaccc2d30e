// Many concurrent streams through a proxy, as Claude Code's parallel sessions and subagents make
// them, for scripts/bench: each is a streamed POST /v1/messages that FakeUpstream answers with
// `events` deltas `delay` ms apart. For every stream it measures the time to the first byte and the
// longest time between two chunks; a stream is whole when it ends with `message_stop`.
//
//   stream-probe --port N [--streams 128] [--events 60] [--delay-ms 500] [--body-kb 0] [--header 'name: value'] [--sequential]
//
// --body-kb pads each request to about that many KB, as Claude Code's requests are (the conversation
// so far, the system prompt and the tools: tens to hundreds of KB).
//
// With --sequential the streams run one after another on a kept-alive connection: what one stream
// pays, without the burst of opening them all at once.
//
// Prints one JSON object: {"streams", "whole", "failed", "errors": {reason: count},
// "first_byte_p50_ms", "first_byte_p99_ms", "longest_gap_ms", "gap_p99_ms", "seconds",
// "first_bytes_ms", "gaps_ms"}: the last two are every stream's figures, in the order the streams
// ended, so that runs can be pooled (scripts/bench interleaves the proxies in rounds).
import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

struct Options {
    var port = 3000
    var streams = 128
    var events = 60
    var delayMilliseconds = 500
    var bodyKilobytes = 0
    var headers: [(String, String)] = []
    var sequential = false

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()[...]
        while let flag = rest.popFirst() {
            if flag == "--sequential" { sequential = true; continue }
            let value = rest.popFirst() ?? ""
            switch flag {
            case "--port": port = Int(value) ?? port
            case "--streams": streams = Int(value) ?? streams
            case "--events": events = Int(value) ?? events
            case "--delay-ms": delayMilliseconds = Int(value) ?? delayMilliseconds
            case "--body-kb": bodyKilobytes = Int(value) ?? bodyKilobytes
            case "--header":
                let parts = value.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { headers.append((parts[0], parts[1])) }
            default:
                FileHandle.standardError.write(Data("stream-probe: unknown flag \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

struct Outcome: Sendable {
    var whole = false
    var error: String?
    var firstByte: Duration?
    var longestGap: Duration = .zero
}

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return -1 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

let options = Options(CommandLine.arguments)
var configuration = HTTPClient.Configuration()
configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = options.streams
configuration.timeout = .init(connect: .seconds(30), read: .seconds(120))
let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
// The stream's shape in the text too, for proxies that do not pass the client's headers on.
let padding = String(repeating: "All work and no play makes Jack a dull boy. ", count: options.bodyKilobytes * 1024 / 44)
let body = #"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"\#(padding)probe fake-events=\#(options.events) fake-delay-ms=\#(options.delayMilliseconds)"}]}"#
let clock = ContinuousClock()
let began = clock.now

@Sendable func probe() async -> Outcome {
            var outcome = Outcome()
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(options.port)/v1/messages")
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "anthropic-version", value: "2023-06-01")
            request.headers.add(name: "x-fake-events", value: String(options.events))
            request.headers.add(name: "x-fake-delay-ms", value: String(options.delayMilliseconds))
            for (name, value) in options.headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(string: body))
            let sent = clock.now
            do {
                let response = try await client.execute(request, timeout: .seconds(300))
                guard response.status == .ok else {
                    outcome.error = "HTTP \(response.status.code)"
                    return outcome
                }
                var last = sent
                var tail: [UInt8] = []
                for try await chunk in response.body {
                    let now = clock.now
                    if outcome.firstByte == nil { outcome.firstByte = now - sent } else { outcome.longestGap = max(outcome.longestGap, now - last) }
                    last = now
                    tail = Array((tail + Array(buffer: chunk)).suffix(64))
                }
                outcome.whole = String(decoding: tail, as: UTF8.self).contains("\"message_stop\"")
                if !outcome.whole { outcome.error = "cut short" }
            } catch {
                outcome.error = "\(error)".prefix(60).description
            }
            return outcome
}

var outcomes: [Outcome] = []
if options.sequential {
    _ = await probe()  // opens the connections (client to proxy, proxy to upstream) first
    for _ in 0 ..< options.streams { outcomes.append(await probe()) }
} else {
    outcomes = await withTaskGroup(of: Outcome.self) { group in
        for _ in 0 ..< options.streams { group.addTask { await probe() } }
        var all: [Outcome] = []
        for await outcome in group { all.append(outcome) }
        return all
    }
}
try? await client.shutdown()

var errors: [String: Int] = [:]
for outcome in outcomes { if let error = outcome.error { errors[error, default: 0] += 1 } }
let firstBytes = outcomes.compactMap(\.firstByte).map(milliseconds)
let gaps = outcomes.filter(\.whole).map { milliseconds($0.longestGap) }
let report: [String: Any] = [
    "streams": options.streams, "whole": outcomes.filter(\.whole).count, "failed": outcomes.filter { !$0.whole }.count,
    "errors": errors, "first_byte_p50_ms": percentile(firstBytes, 0.5), "first_byte_p99_ms": percentile(firstBytes, 0.99),
    "longest_gap_ms": gaps.max() ?? -1, "gap_p99_ms": percentile(gaps, 0.99), "seconds": milliseconds(clock.now - began) / 1000,
    "first_bytes_ms": firstBytes, "gaps_ms": gaps,
]
let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
FileHandle.standardOutput.write(data + Data("\n".utf8))
