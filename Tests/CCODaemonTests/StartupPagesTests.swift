import CCOCore
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
    /// This process's mappings, read to the end as the daemon reads them (`String(contentsOfFile:)`
    /// stops short of the end of a file in `/proc`).
    static func ownMappings() throws -> String {
        try #require(try FileSystem.readTextIfExists("/proc/self/smaps"))
    }

    /// The test process itself drops its code and read-only data and goes on running: what it runs
    /// next is mapped back from the page cache, and its relocated and written data is untouched.
    /// What was dropped is seen in a file the test maps and reads: the code of the test process is
    /// mapped back at once by the other tests running beside it.
    @Test func aProcessThatDropsItsStartUpPagesRunsOnWithTheSameCodeAndData() throws {
        /// Where `path` is mapped, and how much of it is resident.
        func mapping(of path: String) throws -> (start: UInt, residentKB: Int)? {
            let smaps = try Self.ownMappings()
            var start: UInt?
            for line in smaps.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if let range = fields.first?.split(separator: "-"), range.count == 2, let begin = UInt(range[0], radix: 16) {
                    start = fields.last.map(String.init) == path ? begin : nil
                } else if let start, fields.first == "Rss:", fields.count >= 2, let kb = Int(fields[1]) {
                    return (start, kb)
                }
            }
            return nil
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("startup-pages-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("read-only")
        let length = 4 << 20
        try Data((0..<length).map { UInt8(truncatingIfNeeded: $0 / 4096) }).write(to: file)
        let descriptor = open(file.path, O_RDONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let base = try #require(mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0).flatMap { $0 == MAP_FAILED ? nil : $0 })
        defer { munmap(base, length) }
        let mapped = UnsafeRawBufferPointer(start: base, count: length)
        var sum = 0
        for page in stride(from: 0, to: length, by: 4096) { sum &+= Int(mapped[page]) }
        let (start, before) = try #require(try mapping(of: file.path))
        #expect(start == UInt(bitPattern: base))

        let written = (0..<1000).map { "value \($0)" }
        let code = StartupPages.droppable(smaps: try Self.ownMappings())
        let function: @convention(c) () -> Int32 = { 42 }
        let address = unsafeBitCast(function, to: UInt.self)
        #expect(code.contains { $0.start <= address && address < $0.end }, "the test's own code is among the mappings dropped")
        #expect(code.contains { $0.start == start }, "the mapped file is among them")

        let dropped = StartupPages.drop(logger: Logger(label: "test"))

        let after = try #require(try mapping(of: file.path)).residentKB
        #expect(dropped >= length)
        #expect(before >= 4000 && after == 0, "resident of the mapped file: \(before) kB before, \(after) kB after")
        var again = 0
        for page in stride(from: 0, to: length, by: 4096) { again &+= Int(mapped[page]) }
        #expect(again == sum, "the file's bytes are mapped back as they were")
        #expect(written == (0..<1000).map { "value \($0)" })
        #expect(function() == 42)
        let decoded = try JSONDecoder().decode([String: Int].self, from: Data(#"{"a": 1}"#.utf8))
        #expect(decoded == ["a": 1])
    }
    #endif
}
