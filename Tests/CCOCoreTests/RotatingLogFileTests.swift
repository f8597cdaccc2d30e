#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing
import CCOTestSupport
@testable import CCOCore

@Suite struct RotatingLogFileTests {
    @Test(arguments: [
        (1, "log", [String]()),
        (2, "log.1", ["log→log.1"]),
        (5, "log.4", ["log.3→log.4", "log.2→log.3", "log.1→log.2", "log→log.1"]),
    ])
    func rotationPlanShiftsOldestFirst(maxFiles: Int, removed: String, renames: [String]) {
        let plan = RotatingLogFile.rotationPlan(path: "log", maxFiles: maxFiles)
        #expect(plan.remove == removed)
        #expect(plan.renames.map { "\($0.from)→\($0.to)" } == renames)
    }

    @Test func rotatesAtSizeLimitKeepingMaxFiles() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/daemon.log"
            let log = try RotatingLogFile(path: path, rotationSize: 100, maxFiles: 3)
            // 10-byte lines: ten fit in 100 bytes, the eleventh starts a new file.
            for i in 0 ..< 35 { log.write(Array("line \(String(i).padded(4))\n".utf8)) }
            #expect(try directoryEntries(dir).sorted() == ["daemon.log", "daemon.log.1", "daemon.log.2"])
            #expect(readFile(path)?.split(separator: "\n").first == "line 0030")
            #expect(readFile(path + ".1")?.split(separator: "\n").first == "line 0020")
            #expect(readFile(path + ".2")?.split(separator: "\n").count == 10)
            #expect(fileMode(path) == 0o600)
        }
    }

    @Test func aLogDeletedOrRenamedFromOutsideIsReplacedByANewFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/daemon.log"
            let log = try RotatingLogFile(path: path, rotationSize: 1 << 20, maxFiles: 3)
            log.write(Array("before\n".utf8))
            unlink(path)
            usleep(UInt32(RotatingLogFile.recheckInterval.components.seconds * 1_000_000 + 50_000))
            log.write(Array("after delete\n".utf8))
            #expect(readFile(path) == "after delete\n")

            rename(path, dir + "/moved.log")
            usleep(UInt32(RotatingLogFile.recheckInterval.components.seconds * 1_000_000 + 50_000))
            log.write(Array("after rename\n".utf8))
            #expect(readFile(path) == "after rename\n")
            #expect(readFile(dir + "/moved.log") == "after delete\n")
            #expect(fileMode(path) == 0o600)
        }
    }

    @Test func concurrentWritersAcrossRotationsLoseAndRepeatNoLine() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/daemon.log"
            let log = try RotatingLogFile(path: path, rotationSize: 4096, maxFiles: 1000)
            let threads = (0 ..< 4).map { t in
                Thread { for i in 0 ..< 2000 { log.write(Array("writer \(t) line \(i)\n".utf8)) } }
            }
            threads.forEach { $0.start() }
            threads.forEach { $0.join() }
            var lines: [Substring] = []
            for name in try directoryEntries(dir) {
                let text = try #require(readFile(dir + "/" + name))
                for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                    lines.append(line)
                }
                #expect(text.utf8.count <= 4096)
            }
            #expect(lines.count == 8000)
            #expect(Set(lines).count == 8000)
            #expect(try directoryEntries(dir).count > 10)
        }
    }

    @Test func handlerWritesLevelLabelMessageAndMetadata() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/daemon.log"
            let file = try RotatingLogFile(path: path, rotationSize: 1 << 20, maxFiles: 2)
            let logger = Logger(label: "cco") { RotatingFileLogHandler(label: $0, file: file, level: .info) }
            logger.debug("not written")
            logger.info("listening\non two lines", metadata: ["port": "3000"])
            let text = try #require(readFile(path))
            #expect(text.hasSuffix(" info cco: listening\\non two lines port=3000\n"))
            #expect(text.split(separator: "\n").count == 1)
        }
    }

    @Test func aLineIsReadBackOnlyForThePidThatWroteIt() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/daemon.log"
            let file = try RotatingLogFile(path: path, rotationSize: 1 << 20, maxFiles: 2)
            let label = RotatingFileLogHandler.processLabel("cco", pid: 4242)
            #expect(label == "cco[4242]")
            Logger(label: label) { RotatingFileLogHandler(label: $0, file: file, level: .info) }.info("cannot listen")
            let line = try #require(readFile(path)?.split(separator: "\n").first.map(String.init))
            #expect(RotatingFileLogHandler.message(of: line, writtenBy: 4242) == "cannot listen")
            #expect(RotatingFileLogHandler.message(of: line, writtenBy: 424) == nil)
            #expect(RotatingFileLogHandler.message(of: line, writtenBy: 42) == nil)
        }
    }
}

extension String {
    func padded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
