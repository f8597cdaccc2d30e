#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import CCOSystemd
import Logging

extension DaemonRunner {
    /// To the journal under systemd, else to the rotating `daemon.log` (and also to a terminal on
    /// stderr); the level is shared so that a reload can change it.
    func makeLogging() throws(DaemonError) -> (Logger, RotatingLogFile?, LogLevelSetting) {
        let level = LogLevelSetting(config.logLevel.loggerLevel)
        var logFile: RotatingLogFile?
        if !Journal.stderrIsJournalStream(environment: journalStream) {
            do {
                logFile = try RotatingLogFile(path: paths.logFile, rotationSize: config.logRotationSize, maxFiles: config.logMaxFiles)
            } catch {
                throw DaemonError(.stateDirectory, "\(error); fix the permissions of \(paths.logsDirectory) or set CCO_HOME")
            }
        }
        let interactive = system_isatty(STDERR_FILENO) == 1
        let file = logFile
        let logger = Logger(label: "cco") { label in
            guard let file else { return JournalLogHandler(label: label, level: level) }
            let fileHandler = RotatingFileLogHandler(label: RotatingFileLogHandler.processLabel(label, pid: getpid()),
                                                     file: file, level: level)
            guard interactive else { return fileHandler }
            var console = StreamLogHandler.standardError(label: label)
            console.logLevel = level.level
            return MultiplexLogHandler([fileHandler, console])
        }
        for loose in StatePermissions.loose(in: paths) { logger.warning("\(loose)") }
        return (logger, logFile, level)
    }

    /// Every call in flight holds two descriptors; the soft limit services start with allows a few
    /// hundred. Raised to what the hard limit allows, with a warning when that still falls short.
    func raiseDescriptorLimit(logger: Logger) {
        let limit: DescriptorLimit
        do {
            let (before, after) = try DescriptorLimit.raiseSoftLimit()
            if after != before { logger.debug("open files: soft limit raised from \(before.soft) to \(after.soft)") }
            limit = after
        } catch {
            logger.warning("cannot raise the open-files limit: \(error)")
            guard let current = DescriptorLimit.current() else { return }
            limit = current
        }
        // Two per call, and a margin for the listener, the database, the log and idle clients.
        let needed = UInt64(2 * config.upstreamMaxConnections + 256)
        if limit.soft < needed {
            logger.warning("open files are limited to \(limit); upstream_max_connections = \(config.upstreamMaxConnections) needs about \(needed): raise LimitNOFILE= (or ulimit -n), or lower upstream_max_connections")
        }
    }
}
