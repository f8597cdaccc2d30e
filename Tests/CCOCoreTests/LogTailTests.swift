#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import CCOTestSupport
@testable import CCOCore

@Suite struct LogTailTests {
    @Test func tailReturnsLastNLinesReadingBackwardsInSmallBlocks() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/daemon.log"
            writeFile(path, (1 ... 100).map { "line \($0)" }.joined(separator: "\n") + "\n")
            let tail = try LogTail.lastLines(3, of: path, blockSize: 7)
            #expect(tail.lines == ["line 98", "line 99", "line 100"])
            #expect(try LogTail.lastLines(500, of: path, blockSize: 16).lines.count == 100)
        }
    }

    @Test func tailOfALastLineWithoutNewlineIncludesIt() throws {
        try withTemporaryDirectory { dir in
            writeFile(dir + "/log", "a\nb\nc")
            let tail = try LogTail.lastLines(2, of: dir + "/log")
            #expect(tail.lines == ["b", "c"])
        }
    }

    @Test func tailOfMissingFileIsEmpty() throws {
        #expect(try LogTail.lastLines(5, of: "/nonexistent/daemon.log").lines.isEmpty)
    }

    @Test func followContinuesAcrossRotationAndTruncation() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/daemon.log"
            writeFile(path, "old\n")
            let received = Mutex<String>("")
            let done = Atomic<Bool>(false)
            let follower = Thread {
                LogTail.follow(path: path, from: 4, pollInterval: .milliseconds(5),
                               shouldContinue: { !done.load(ordering: .relaxed) }) { bytes in
                    received.withLock { $0 += String(decoding: bytes, as: UTF8.self) }
                }
            }
            follower.start()
            func waitFor(_ text: String) -> Bool {
                for _ in 0 ..< 400 {
                    if received.withLock({ $0.hasSuffix(text) }) { return true }
                    usleep(5000)
                }
                return false
            }
            let log = try RotatingLogFile(path: path, rotationSize: 12, maxFiles: 3)
            log.write(Array("first\n".utf8))
            #expect(waitFor("first\n"))
            log.write(Array("second\n".utf8))  // rotates: daemon.log → daemon.log.1
            #expect(waitFor("second\n"))
            log.write(Array("third\n".utf8))  // rotates again
            #expect(waitFor("third\n"))
            truncate(path, 0)
            usleep(50_000)
            appendFile(path, "after truncation\n")
            #expect(waitFor("after truncation\n"))
            done.store(true, ordering: .relaxed)
            follower.join()
            #expect(received.withLock { $0 } == "first\nsecond\nthird\nafter truncation\n")
        }
    }
}
