#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Testing
import CCOTestSupport
@testable import CCOCore

@Suite struct DrainRecordTests {
    @Test(arguments: [
        (0, 0, "nothing"), (1, 0, "1 request"), (1, 1, "1 request (1 stream)"), (3, 2, "3 requests (2 streams)"),
    ])
    func whatIsInProgressReadsAsASentence(requests: Int, streams: Int, text: String) {
        #expect(RequestsInProgress(requests: requests, streams: streams).text == text)
    }

    @Test func aRecordOfThisProcessIsLiveAndOneOfADeadProcessIsRemoved() throws {
        try withTemporaryDirectory { dir in
            let paths = CCOPaths(stateDirectory: dir)
            let records = DrainRecords(paths: paths)
            let me = try #require(ProcessIdentity.current())
            let since = Date(timeIntervalSince1970: 1_780_000_000)
            let mine = DrainRecord(pid: me.pid, processStartTime: me.startTime, reason: .replaced, since: since,
                                   cutAt: since.addingTimeInterval(600), requests: 2, streams: 1)
            try records.write(mine)
            // The same pid with another start time is a process that is gone.
            let gone = DrainRecord(pid: 1, processStartTime: 42, reason: .stopping, since: since, cutAt: since, requests: 5, streams: 5)
            try records.write(gone)
            #expect(records.live() == [mine])
            #expect(!FileSystem.exists(records.path(of: 1)), "a record left by a killed daemon is removed on the way")
            #expect(records.record(of: me.pid) == mine)
            #expect(mine.boundSeconds == 600)
            #expect(mine.secondsUntilCut(now: since.addingTimeInterval(30)) == 570)
            records.remove(pid: me.pid)
            #expect(records.live().isEmpty)
        }
    }
}
