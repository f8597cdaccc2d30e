import Foundation
import Testing

/// How many trials a fault-suite line runs: one (or `quick`) in the regular test run, the full count
/// under `scripts/faults` (`CCO_FAULT_TRIALS=full`), or an explicit number (`CCO_FAULT_TRIALS=3`).
enum FaultTrials {
    static func count(full: Int, quick: Int = 1) -> Int {
        switch ProcessInfo.processInfo.environment["CCO_FAULT_TRIALS"] {
        case "full"?: full
        case let text?: Int(text).map { max(1, $0) } ?? quick
        case nil: quick
        }
    }

    /// `scripts/faults` runs the lines one at a time, so a line may load the whole machine there.
    static var full: Bool { ProcessInfo.processInfo.environment["CCO_FAULT_TRIALS"] == "full" }

    /// `--soak` of `scripts/faults`: the ten-minute mixed load runs only when asked for.
    static var soak: Bool { ProcessInfo.processInfo.environment["CCO_FAULT_SOAK"] == "1" }

    /// The seed of the config mutations: `CCO_FAULT_SEED`, or a fresh one (printed in the line's notes).
    static let seed: UInt64 = ProcessInfo.processInfo.environment["CCO_FAULT_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0 ..< 1 << 30)
}

/// One line of the fault suite's table: trials run, how many failed, what was lost, and the first
/// notes of failures. ``finish()`` fails the test when any trial failed and, under `scripts/faults`,
/// appends the line to `$CCO_FAULT_REPORT` as a table row, which the script prints.
struct FaultLine {
    let group: String
    let name: String
    private(set) var trials = 0
    private(set) var failures = 0
    private(set) var losses = 0
    var notes: [String] = []

    init(_ group: String, _ name: String) {
        self.group = group
        self.name = name
    }

    mutating func trial(_ ok: Bool, _ note: @autoclosure () -> String, losses: Int = 0) {
        trials += 1
        self.losses += losses
        guard !ok else { return }
        failures += 1
        if notes.count < 3 { notes.append(note()) }
    }

    /// A line that cannot run here (not root): reported with why, and not failed.
    mutating func skipped(_ reason: String) {
        notes.append(reason)
    }

    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        if let path = ProcessInfo.processInfo.environment["CCO_FAULT_REPORT"] {
            // One row per line, after its group's name and a tab: scripts/faults orders and prints them.
            let cells = ["\(group): \(name)", "\(trials)", "\(failures)", "\(losses)", notes.joined(separator: "; ")]
                .map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
            let row = "\(group)\t| " + cells.joined(separator: " | ") + " |\n"
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data(row.utf8))
                try? handle.close()
            }
        }
        #expect(failures == 0, "\(group): \(name): \(failures) of \(trials) failed: \(notes.joined(separator: "; "))", sourceLocation: sourceLocation)
    }
}
