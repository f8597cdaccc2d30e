#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import Logging
import SystemPackage

/// The pages of code and read-only data that start-up touched and serving may never touch again.
/// Each page of a file the daemon has run or read stays mapped into it, counted in its RSS, for as
/// long as it runs: parsing the arguments and the config, opening the database and binding the
/// listener leave several MB of the executable and its libraries resident. Once the daemon is
/// ready it drops those mappings (`MADV_DONTNEED`); what serving runs is mapped back at its first
/// use, from the page cache, without reading the disk.
///
/// Only read-only private file mappings that hold no page of the process's own are dropped: their
/// pages are the file's bytes, so mapping them back gives the same bytes. A mapping with a private
/// copy in it (relocated data made read-only after relocation, `RELRO`) is kept, as is every
/// writable one.
enum StartupPages {
    /// A range of the address space, from `/proc/self/smaps`.
    struct Mapping: Equatable {
        var start: UInt
        var end: UInt
    }

    /// The mappings of `smaps` (the text of `/proc/self/smaps`) that can be dropped: private,
    /// not writable, backed by a file (a non-zero inode), and with no anonymous (copied) page.
    static func droppable(smaps: String) -> [Mapping] {
        var result: [Mapping] = []
        var candidate: Mapping?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.hasSuffix(":") {
                if first == "Anonymous:", let mapping = candidate {
                    if fields.count >= 2, fields[1] == "0" { result.append(mapping) }
                    candidate = nil
                }
                continue
            }
            candidate = nil
            let bounds = first.split(separator: "-")
            guard fields.count >= 6, bounds.count == 2,
                  let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16) else { continue }
            let perms = Array(fields[1].utf8)
            guard perms.count == 4, perms[1] == UInt8(ascii: "-"), perms[3] == UInt8(ascii: "p"), fields[4] != "0" else { continue }
            candidate = Mapping(start: start, end: end)
        }
        return result
    }

    /// Drops the ``droppable(smaps:)`` mappings of this process. Returns how many bytes of
    /// address space were dropped (resident or not).
    @discardableResult
    static func drop(logger: Logger) -> Int {
        #if os(Linux)
        let smaps: String
        do {
            guard let text = try FileSystem.readTextIfExists("/proc/self/smaps") else { return 0 }
            smaps = text
        } catch {
            logger.debug("cannot read the process's mappings: \(error)")
            return 0
        }
        var dropped = 0
        for mapping in droppable(smaps: smaps) {
            let length = Int(mapping.end - mapping.start)
            if system_madvise(UnsafeMutableRawPointer(bitPattern: mapping.start), length, MADV_DONTNEED) != 0 {
                logger.debug("cannot drop the start-up pages at \(String(mapping.start, radix: 16)): \(Errno(rawValue: errno))")
                continue
            }
            dropped += length
        }
        return dropped
        #else
        return 0
        #endif
    }
}
