#if canImport(Glibc)
import Glibc
#endif

// Test helpers shared by the unit-test targets: temporary directories and small file operations.

/// Runs `body` with a fresh directory under /tmp, removed afterwards.
public func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/cco-test-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed: \(errno)") }
    let path = String(cString: made)
    defer { removeTree(path) }
    return try body(path)
}

/// The same, for a body that awaits.
public func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    var template = Array("/tmp/cco-test-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed: \(errno)") }
    let path = String(cString: made)
    defer { removeTree(path) }
    return try await body(path)
}

public func removeTree(_ path: String) {
    guard let dir = opendir(path) else { unlink(path); return }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." { continue }
        let child = path + "/" + name
        if entry.pointee.d_type == UInt8(DT_DIR) { removeTree(child) } else { unlink(child) }
    }
    closedir(dir)
    rmdir(path)
}

public func writeFile(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot create \(path)")
    _ = text.withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

public func readFile(_ path: String) -> String? {
    guard let f = fopen(path, "r") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n == 0 { break }
        out += buffer[..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

public func fileMode(_ path: String) -> UInt32? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return UInt32(st.st_mode & 0o7777)
}

public func appendFile(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    precondition(fd >= 0, "cannot open \(path)")
    _ = text.withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

/// `mkdir -p`: true when `path` is a directory afterwards.
public func mkdirs(_ path: String) -> Bool {
    var prefix = ""
    for part in path.split(separator: "/") {
        prefix += "/" + part
        mkdir(prefix, 0o755)
    }
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}
