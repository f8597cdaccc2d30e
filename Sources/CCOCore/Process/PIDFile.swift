/// `daemon.pid`: written atomically (mode 0600) by the daemon once it listens, removed when it stops.
public struct PIDFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func write(_ record: PIDRecord) throws(FileError) {
        try AtomicFile.write(record.encoded(), to: path)
    }

    /// The record, or `nil` when there is no file.
    ///
    /// - Throws: ``FileError`` when the file exists but cannot be read or is not a PID record.
    public func read() throws(FileError) -> PIDRecord? {
        guard let bytes = try FileSystem.readIfExists(path) else { return nil }
        guard let record = PIDRecord.decode(bytes) else {
            throw FileError(path: path, operation: "parse (not a cco PID record)", errno: nil)
        }
        return record
    }

    public func remove() throws(FileError) {
        try FileSystem.remove(path)
    }
}
