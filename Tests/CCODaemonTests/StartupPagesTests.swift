import Foundation
import Logging
import Testing
@testable import CCODaemon

@Suite struct StartupPagesTests {
    /// Mappings as `/proc/self/smaps` lists them (fields trimmed to those read), one of each kind.
    static let smaps = """
        5613f6fa4000-5613f8d0f000 r-xp 00000000 fe:00 16224978                   /usr/bin/cco-daemon
        Size:              30124 kB
        Rss:               18184 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me
        5613f8d0f000-5613f8df1000 r--p 01d6a000 fe:00 16224978                   /usr/bin/cco-daemon
        Rss:                 904 kB
        Anonymous:           904 kB
        5613f8df1000-5613f914a000 rw-p 01e4c000 fe:00 16224978                   /usr/bin/cco-daemon
        Rss:                2020 kB
        Anonymous:           252 kB
        5613f914a000-5613f9243000 rw-p 00000000 00:00 0
        Anonymous:           496 kB
        7f10b141e000-7f10b1444000 r--p 00000000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
        Rss:                 152 kB
        Anonymous:             0 kB
        7f10b15ed000-7f10b15f1000 r--p 001cf000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
        Anonymous:            16 kB
        7f10b1cff000-7f10b1d07000 rw-s 00000000 fe:00 16574944                   /home/u/.cco/analytics.db-shm
        Anonymous:             0 kB
        7f10b1d0f000-7f10b1d11000 r-xp 00000000 00:00 0                          [vdso]
        Anonymous:             0 kB
        7f10b1d12000-7f10b1d38000 r-xp 00001000 fe:00 332717                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
        Anonymous:             0 kB
        """

    @Test func onlyReadOnlyPrivateFileMappingsWithNoCopiedPageAreDropped() {
        let dropped = StartupPages.droppable(smaps: Self.smaps)
        #expect(dropped == [
            .init(start: 0x5613f6fa4000, end: 0x5613f8d0f000),
            .init(start: 0x7f10b141e000, end: 0x7f10b1444000),
            .init(start: 0x7f10b1d12000, end: 0x7f10b1d38000),
        ])
    }

    @Test func aMappingWhoseAnonymousLineIsMissingIsKept() {
        let smaps = """
            5613f6fa4000-5613f8d0f000 r-xp 00000000 fe:00 16224978                   /usr/bin/cco-daemon
            Rss:               18184 kB
            5613f8d0f000-5613f8df1000 rw-p 01d6a000 fe:00 16224978                   /usr/bin/cco-daemon
            Anonymous:             0 kB
            """
        #expect(StartupPages.droppable(smaps: smaps).isEmpty)
    }

    #if os(Linux)
    /// The test process itself drops its code and read-only data and goes on running: what it runs
    /// next is mapped back from the page cache, and its relocated and written data is untouched.
    @Test func aProcessThatDropsItsStartUpPagesRunsOnWithTheSameCodeAndData() throws {
        func residentKB(of mappings: [StartupPages.Mapping]) throws -> Int {
            let smaps = try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)
            var total = 0, counting = false
            for line in smaps.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if let range = fields.first?.split(separator: "-"), range.count == 2, let start = UInt(range[0], radix: 16) {
                    counting = mappings.contains { $0.start == start }
                } else if counting, fields.first == "Rss:", fields.count >= 2, let kb = Int(fields[1]) {
                    total += kb
                }
            }
            return total
        }
        let written = (0..<1000).map { "value \($0)" }
        let code = StartupPages.droppable(smaps: try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8))
        let function: @convention(c) () -> Int32 = { 42 }
        let address = unsafeBitCast(function, to: UInt.self)
        #expect(code.contains { $0.start <= address && address < $0.end }, "the test's own code is among the mappings dropped")
        let before = try residentKB(of: code)

        let dropped = StartupPages.drop(logger: Logger(label: "test"))

        let after = try residentKB(of: code)
        #expect(dropped > 0)
        #expect(after < before / 2, "resident in the dropped mappings: \(before) kB before, \(after) kB after")
        #expect(written == (0..<1000).map { "value \($0)" })
        #expect(function() == 42)
        let decoded = try JSONDecoder().decode([String: Int].self, from: Data(#"{"a": 1}"#.utf8))
        #expect(decoded == ["a": 1])
    }
    #endif
}
