#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import CCOTestSupport
@testable import CCOCore

@Suite struct FileLockTests {
    @Test func secondLockFailsWhileFirstIsHeldAndSucceedsAfterUnlock() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/daemon.lock"
            let first = try #require(try FileLock.tryLock(path))
            #expect(try FileLock.tryLock(path) == nil)
            #expect(FileLock.holder(of: path) == getpid())
            first.unlock()
            #expect(FileLock.holder(of: path) == nil)
            #expect(try FileLock.tryLock(path) != nil)
        }
    }

    @Test func lockHeldByAnotherProcessIsReportedWithItsPID() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/daemon.lock"
            // flock(1) takes the lock and keeps it while its `sleep` runs.
            let flock = Process()
            flock.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
            flock.arguments = ["-n", path, "sleep", "10"]
            try flock.run()
            let pid = flock.processIdentifier
            defer { kill(pid, SIGKILL); flock.waitUntilExit() }
            var holder: Int32?
            for _ in 0 ..< 500 where holder == nil {
                holder = FileLock.holder(of: path)
                usleep(2000)
            }
            #expect(holder == pid)
            #expect(try FileLock.tryLock(path) == nil)
            #expect(try FileLock.lock(path, timeout: .milliseconds(50)) == nil)
        }
    }

    @Test func waitingLockIsTakenOnceTheHolderReleasesIt() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/control.lock"
            let first = try #require(try FileLock.tryLock(path))
            let thread = Thread { usleep(50_000); first.unlock() }
            let clock = ContinuousClock()
            let start = clock.now
            thread.start()
            let second = try FileLock.lock(path, timeout: .seconds(5))
            #expect(second != nil)
            #expect(clock.now - start >= .milliseconds(40))
            thread.join()
        }
    }
}

/// A minimal joinable thread for tests that need a second thread of control.
final class Thread: @unchecked Sendable {
    private let body: () -> Void
    private var handle = pthread_t()

    init(_ body: @escaping () -> Void) { self.body = body }

    func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&handle, nil, { raw in
            let thread = Unmanaged<Thread>.fromOpaque(raw!).takeRetainedValue()
            thread.body()
            return nil
        }, box)
    }

    func join() { pthread_join(handle, nil) }
}

@Suite struct StatePermissionsTests {
    @Test func looserThanOwnerOnlyIsReportedWithTheFix() throws {
        try withTemporaryDirectory { dir in
            let paths = CCOPaths(stateDirectory: dir)
            chmod(dir, 0o755)
            writeFile(paths.configFile, "port = 1\n")
            chmod(paths.configFile, 0o644)
            writeFile(dir + "/analytics.db", "")
            chmod(dir + "/analytics.db", 0o640)
            writeFile(dir + "/daemon.pid", "")
            chmod(dir + "/daemon.pid", 0o600)
            let loose = StatePermissions.loose(in: paths).map(\.description)
            #expect(loose == [
                "\(dir) is mode 0755: every user can read it; chmod 700 \(dir)",
                "\(dir)/analytics.db is mode 0640: your group can read it; chmod 600 \(dir)/analytics.db",
                "\(dir)/config.toml is mode 0644: every user can read it; chmod 600 \(dir)/config.toml",
            ])
            chmod(dir, 0o700)
            chmod(paths.configFile, 0o600)
            chmod(dir + "/analytics.db", 0o600)
            #expect(StatePermissions.loose(in: paths).isEmpty)
        }
    }
}
