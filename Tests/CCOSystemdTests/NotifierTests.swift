#if canImport(Glibc)
import Glibc
#endif
import SystemPackage
import Testing
@testable import CCOSystemd

/// These tests change NOTIFY_SOCKET and WATCHDOG_* in this process, so they run one at a time.
@Suite(.serialized) struct NotifierTests {
    @Test func notifySendsReadyAndStatusToNotifySocket() throws {
        let socket = try NotifySocket.bindAbstract(name: "cco-test-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try withEnvironment("NOTIFY_SOCKET", socket.address) {
            let outcome = try Notifier.notify(.ready, .status("listening on http://127.0.0.1:53421"))
            #expect(outcome == .sent)
        }
        let text = try socket.receiveString(timeout: .seconds(2))
        #expect(text == "READY=1\nSTATUS=listening on http://127.0.0.1:53421")
    }

    @Test func notifyReachesAFilesystemSocketToo() throws {
        let path = "/tmp/cco-notify-\(getpid())-\(UInt32.random(in: 0 ... .max)).sock"
        defer { unlink(path) }
        let socket = try NotifySocket.bind(address: path)
        try withEnvironment("NOTIFY_SOCKET", path) {
            let outcome = try Notifier.notify(.stopping)
            #expect(outcome == .sent)
        }
        #expect(try socket.receive(timeout: .seconds(2)) == [.stopping])
    }

    @Test func notifyWithoutSocketIsNotSupported() throws {
        try withEnvironment("NOTIFY_SOCKET", nil) {
            let outcome = try Notifier.notify(.ready)
            #expect(outcome == .notSupported)
        }
    }

    @Test func notifyToMissingSocketThrowsErrno() throws {
        try withEnvironment("NOTIFY_SOCKET", "/tmp/cco-no-such-dir-\(getpid())/notify.sock") {
            #expect(throws: Errno.self) { try Notifier.notify(.ready) }
        }
    }

    @Test func receiveTimesOutWithNil() throws {
        let socket = try NotifySocket.bindAbstract(name: "cco-test-idle-\(getpid())")
        #expect(try socket.receive(timeout: .milliseconds(20)) == nil)
    }

    @Test(arguments: [
        ("1000000", true, Duration.seconds(1)),
        ("", true, nil),
        ("500", false, nil),
    ])
    func watchdogIntervalFollowsWatchdogUsecForThisPID(usec: String, samePID: Bool, expected: Duration?) throws {
        try withEnvironment("WATCHDOG_USEC", usec.isEmpty ? nil : usec) {
            try withEnvironment("WATCHDOG_PID", samePID ? String(getpid()) : "1") {
                let interval = try Watchdog.interval()
                #expect(interval == expected)
            }
        }
    }

    @Test func malformedWatchdogUsecThrows() throws {
        try withEnvironment("WATCHDOG_USEC", "soon") {
            try withEnvironment("WATCHDOG_PID", nil) {
                #expect(throws: Errno.self) { try Watchdog.interval() }
            }
        }
    }
}

@Suite struct NotifyStateTests {
    @Test(arguments: [
        NotifyState.ready, .reloading, .stopping, .status("x = 1"), .watchdog, .watchdogTrigger,
        .errno(98), .mainPID(4242), .monotonicUsec(123_456_789), .extendTimeoutUsec(5_000_000),
    ])
    func assignmentParsesBackToTheSameState(state: NotifyState) {
        #expect(NotifyState(assignment: Substring(state.assignment)) == state)
    }

    @Test func statusCannotInjectASecondAssignment() {
        #expect(NotifyState.status("oops\nREADY=1").assignment == "STATUS=oops READY=1")
    }

    @Test func unknownAssignmentsAreIgnored() {
        #expect(NotifyState.parse(message: "READY=1\nBUSERROR=org.example.Failed\nSTATUS=ok") == [.ready, .status("ok")])
    }

    @Test func fdStoreAssignmentsRoundTrip() {
        let states: [NotifyState] = [.fdStore, .fdName("http"), .fdStoreRemove]
        #expect(states.map(\.assignment) == ["FDSTORE=1", "FDNAME=http", "FDSTOREREMOVE=1"])
        #expect(NotifyState.parse(message: states.map(\.assignment).joined(separator: "\n")) == states)
    }
}

/// Sets (or with `nil` unsets) an environment variable for the duration of `body`.
func withEnvironment<T>(_ name: String, _ value: String?, _ body: () throws -> T) throws -> T {
    let old = getenv(name).map { String(cString: $0) }
    if let value { setenv(name, value, 1) } else { unsetenv(name) }
    defer { if let old { setenv(name, old, 1) } else { unsetenv(name) } }
    return try body()
}
