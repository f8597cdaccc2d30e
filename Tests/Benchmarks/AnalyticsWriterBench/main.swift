// Rows per second through the daemon's analytics writer: `record` from several tasks (as request
// handlers do), `flush` in 50 ms batches (as the writer's service loop does), into a real SQLite file.
// The rows are Claude Code's: sessions, projects, an agent, a client, a request-id.
//
//   analytics-writer-bench [ROWS]     prints "ROWS rows in S s: R rows/s"
import CCOAnalytics
import CCOGateway
import CCOCore
import Foundation
import Logging

let total = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1_000_000
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cco-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

let writer = try AnalyticsWriter(path: directory + "/analytics.db", retentionDays: 0,
                                 queueLimit: total, logger: Logger(label: "bench"))
let clock = ContinuousClock()
let started = clock.now
let producers = 4
let sessions = (0 ..< 16).map { "3f1c2a9e-0b7d-4c55-9a61-\(String(repeating: String($0 % 10), count: 12))" }
try await withThrowingTaskGroup(of: Void.self) { group in
    for producer in 0 ..< producers {
        group.addTask {
            let now = WallClock.nowMilliseconds()
            for i in stride(from: producer, to: total, by: producers) {
                // Claude Code's shape: 16 sessions in 2 projects, every field of a streamed call.
                writer.record(RequestRecord(
                    timestampMilliseconds: now + Int64(i % 1000), route: "/v1/messages", model: "claude-sonnet-4-5-20250929",
                    status: 200, latencyMilliseconds: 1.5,
                    usage: TokenUsage(input: 1200, output: 300, cacheRead: 50_000, cacheWrite: 10, cacheWrite1h: 2_000),
                    cacheHit: i % 4 == 0, streamed: true, serviceTier: "standard", client: "claude-cli/2.0.14 (external, cli)",
                    attribution: Attribution(session: sessions[i % 16], agent: i % 3 == 0 ? "agent-1" : nil, clientName: "claude-cli",
                                             clientVersion: "2.0.14", project: i % 2 == 0 ? "/home/ana/alpha" : "beta"),
                    requestID: "req_\(i)"))
            }
        }
    }
    group.addTask {
        // The service loop's cadence: a flush every 50 ms until every row is written.
        while writer.counters.written < total {
            try await Task.sleep(for: .milliseconds(50))
            try await writer.flush()
        }
    }
    try await group.waitForAll()
}
let elapsed = clock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let report = try await writer.stats(range: .all, groupBy: .model)
precondition(report.totals.requests == total, "\(report.totals.requests) rows in the database, expected \(total)")
print("\(total) rows in \((seconds * 100).rounded() / 100) s: \(Int(Double(total) / seconds)) rows/s")
