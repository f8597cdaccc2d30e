#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A daemon that has stopped accepting connections and is finishing the requests it has in
/// progress (streams included): the one a `restart` replaced, or one that was asked to stop. It
/// records itself in `draining/<pid>.json` while it drains and removes the file as it exits.
public struct DrainRecord: Codable, Sendable, Hashable {
    /// Why it drains.
    public enum Reason: String, Codable, Sendable, Hashable {
        /// It handed its listener to the daemon `restart` started.
        case replaced
        /// It was sent SIGTERM (`stop`, or a service manager's stop).
        case stopping
    }

    public var pid: Int32
    /// `/proc/PID/stat` field 22, which tells the daemon apart from a later process with its pid.
    public var processStartTime: UInt64
    public var reason: Reason
    /// When it stopped accepting.
    public var since: Date
    /// When it cuts what is still in progress (`drain_timeout` after `since`).
    public var cutAt: Date
    /// Requests whose response has not been completely sent.
    public var requests: Int
    /// Those of them whose response is an event stream.
    public var streams: Int

    enum CodingKeys: String, CodingKey {
        case pid, reason, since, requests, streams
        case processStartTime = "process_start_time"
        case cutAt = "cut_at"
    }

    public init(pid: Int32, processStartTime: UInt64, reason: Reason, since: Date, cutAt: Date, requests: Int, streams: Int) {
        self.pid = pid
        self.processStartTime = processStartTime
        self.reason = reason
        self.since = since
        self.cutAt = cutAt
        self.requests = requests
        self.streams = streams
    }

    /// True when `identity` is the very process this record describes.
    public func matches(_ identity: ProcessIdentity?) -> Bool {
        guard let identity, identity.isAlive else { return false }
        return identity.pid == pid && identity.startTime == processStartTime
    }

    /// Its `drain_timeout`, in whole seconds.
    public var boundSeconds: Int { Int(cutAt.timeIntervalSince(since).rounded()) }

    /// Seconds until it cuts what is still in progress, from `now`.
    public func secondsUntilCut(now: Date) -> Int { max(0, Int(cutAt.timeIntervalSince(now).rounded())) }

    public var counts: RequestsInProgress { RequestsInProgress(requests: requests, streams: streams) }

    /// "2 requests (1 stream)", "1 request", "nothing".
    public var inProgress: String { counts.text }
}

/// A count of requests whose response has not been completely sent, and of those that stream.
public struct RequestsInProgress: Sendable, Hashable {
    public var requests: Int
    public var streams: Int

    public init(requests: Int = 0, streams: Int = 0) {
        self.requests = requests
        self.streams = streams
    }

    public static func + (a: Self, b: Self) -> Self {
        Self(requests: a.requests + b.requests, streams: a.streams + b.streams)
    }

    /// "2 requests (1 stream)", "1 request", "nothing".
    public var text: String {
        guard requests > 0 else { return "nothing" }
        let counted = requests == 1 ? "1 request" : "\(requests) requests"
        guard streams > 0 else { return counted }
        return counted + (streams == 1 ? " (1 stream)" : " (\(streams) streams)")
    }
}

/// The `draining/` directory of a state directory: written by draining daemons, read by `status`,
/// `restart` and `stop`.
public struct DrainRecords: Sendable {
    public let directory: String

    public init(paths: CCOPaths) {
        directory = paths.drainingDirectory
    }

    public func path(of pid: Int32) -> String { "\(directory)/\(pid).json" }

    /// Replaces the daemon's record (atomically: a reader sees the old one or the new one).
    public func write(_ record: DrainRecord) throws(FileError) {
        try FileSystem.makeDirectory(directory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding these plain fields cannot fail.
        let bytes = Array((try? encoder.encode(record)) ?? Data()) + [UInt8(ascii: "\n")]
        try AtomicFile.write(bytes, to: path(of: record.pid))
    }

    public func remove(pid: Int32) {
        try? FileSystem.remove(path(of: pid))
    }

    /// The record of `pid`, when that process still runs and drains.
    public func record(of pid: Int32) -> DrainRecord? {
        guard let record = read(path(of: pid)), record.matches(ProcessIdentity.of(pid: pid)) else { return nil }
        return record
    }

    /// Every daemon that drains now, oldest first. Records left by a daemon that was killed are
    /// removed on the way.
    public func live() -> [DrainRecord] {
        guard let names = try? directoryEntries(directory) else { return [] }
        var records: [DrainRecord] = []
        for name in names where name.hasSuffix(".json") {
            let path = directory + "/" + name
            guard let record = read(path) else { continue }
            if record.matches(ProcessIdentity.of(pid: record.pid)) { records.append(record) } else { try? FileSystem.remove(path) }
        }
        return records.sorted { $0.since < $1.since }
    }

    private func read(_ path: String) -> DrainRecord? {
        guard let bytes = try? FileSystem.readIfExists(path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(DrainRecord.self, from: Data(bytes))
    }
}
