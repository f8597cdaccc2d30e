import Foundation

/// The strict load generator (Tests/LoadGenerator) running against a port until ``finish()``:
/// steady-rate keep-alive requests, no retries, every failure counted.
final class LoadRun {
    struct Report {
        let sent: Int
        let ok: Int
        let failed: Int
        let errors: [String: Int]
        let longestRequestMilliseconds: Double
        let longestGapMilliseconds: Double
        let p99Milliseconds: Double

        var summary: String {
            "\(ok)/\(sent) ok, \(failed) failed\(errors.isEmpty ? "" : " \(errors)"), longest request \(Int(longestRequestMilliseconds)) ms, longest gap \(Int(longestGapMilliseconds)) ms, p99 \(String(format: "%.1f", p99Milliseconds)) ms"
        }
    }

    static let executable = URL(fileURLWithPath: CCOProcess.executable).deletingLastPathComponent().appendingPathComponent("LoadGenerator").path

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    init(port: Int, rate: Int, connections: Int, arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--port", String(port), "--rate", String(rate), "--connections", String(connections)] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
    }

    /// Stops the load and returns what happened.
    func finish() throws -> Report {
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("the load generator printed no report: \(String(decoding: data, as: UTF8.self))")
        }
        func number(_ key: String) -> Double { (object[key] as? NSNumber)?.doubleValue ?? -1 }
        return Report(
            sent: Int(number("sent")), ok: Int(number("ok")), failed: Int(number("failed")),
            errors: object["errors"] as? [String: Int] ?? [:],
            longestRequestMilliseconds: number("longest_request_ms"), longestGapMilliseconds: number("longest_gap_ms"),
            p99Milliseconds: number("p99_ms"))
    }
}
