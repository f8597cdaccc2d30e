#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing
import CCOTestSupport
@testable import CCOCore

@Suite struct PIDRecordTests {
    let record = PIDRecord(pid: 4242, host: "::1", port: 53421, version: "0.1.0",
                           startedAt: Date(timeIntervalSince1970: 1_764_000_000), processStartTime: 987_654)

    @Test func jsonRoundTripKeepsEveryField() {
        #expect(PIDRecord.decode(record.encoded()) == record)
        let text = String(decoding: record.encoded(), as: UTF8.self)
        #expect(text.contains("\"process_start_time\":987654"))
        #expect(text.contains("\"started_at\":\"2025-11-24T16:00:00Z\""))
    }

    @Test func theStartFlagsRoundTripAndARecordWithoutThemStillReads() {
        var flagged = record
        flagged.overrides = DaemonArguments.Overrides(port: 3111)
        #expect(PIDRecord.decode(flagged.encoded())?.overrides == DaemonArguments.Overrides(port: 3111))
        #expect(!String(decoding: record.encoded(), as: UTF8.self).contains("overrides"))
        let older = #"{"host":"127.0.0.1","pid":7,"port":3000,"process_start_time":1,"started_at":"2025-11-24T16:00:00Z","version":"0.1.0"}"#
        #expect(PIDRecord.decode(Array(older.utf8))?.overrides == nil)
        #expect(PIDRecord.decode(Array(older.utf8))?.port == 3000)
    }

    @Test func baseURLBracketsIPv6() {
        #expect(record.baseURL == "http://[::1]:53421")
    }

    @Test func pidFileWriteIsAtomicAndMode0600() throws {
        try withTemporaryDirectory { dir in
            let file = PIDFile(path: dir + "/daemon.pid")
            try file.write(record)
            #expect(try file.read() == record)
            #expect(fileMode(file.path) == 0o600)
            #expect(try directoryEntries(dir) == ["daemon.pid"])
            try file.remove()
            #expect(try file.read() == nil)
        }
    }

    @Test func garbagePIDFileIsAnError() throws {
        try withTemporaryDirectory { dir in
            writeFile(dir + "/daemon.pid", "12345")
            #expect(throws: FileError.self) { try PIDFile(path: dir + "/daemon.pid").read() }
        }
    }

    @Test func recordMatchesOnlyTheSameProcessStart() {
        let same = ProcessIdentity(pid: 4242, state: "S", startTime: 987_654, command: "cco")
        let reused = ProcessIdentity(pid: 4242, state: "S", startTime: 1_000_000, command: "bash")
        #expect(record.matches(same))
        #expect(!record.matches(reused))
        #expect(!record.matches(nil))
    }
}

@Suite struct ProcessIdentityTests {
    @Test func parsesCommandsWithSpacesAndParentheses() throws {
        let stat = "4242 (my (odd) cmd) Z 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10 18446744073709551615"
        let identity = try #require(ProcessIdentity.parse(stat: stat, pid: 4242))
        #expect(identity.command == "my (odd) cmd")
        #expect(identity.state == "Z")
        #expect(identity.startTime == 123_456)
        #expect(!identity.isAlive)
    }

    @Test func currentProcessIsAlive() throws {
        let me = try #require(ProcessIdentity.current())
        #expect(me.pid == getpid())
        #expect(me.isAlive)
        #expect(me.startTime > 0)
    }

    @Test func missingProcessHasNoIdentity() {
        #expect(ProcessIdentity.of(pid: Int32.max - 1) == nil)
    }
}
