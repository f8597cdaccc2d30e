// Every raw libsystemd call lives in this file, so that `grep sd_` shows the whole C surface and
// no C type leaks into public API. Each function keeps the C calling convention: a negative return
// is -errno (see valueOrNegativeErrno).
#if os(Linux)
internal import CSystemd
import Glibc

// MARK: sd-daemon

/// The corresponding C function is `sd_notify(3)`.
internal func systemd_notify(_ unsetEnvironment: Bool, _ state: UnsafePointer<CChar>) -> CInt {
    sd_notify(unsetEnvironment ? 1 : 0, state)
}

/// The corresponding C function is `sd_watchdog_enabled(3)`.
internal func systemd_watchdog_enabled(_ unsetEnvironment: Bool, _ usec: inout UInt64) -> CInt {
    sd_watchdog_enabled(unsetEnvironment ? 1 : 0, &usec)
}

/// Sends `state` with `fds` attached (SCM_RIGHTS), for `FDSTORE=1`.
/// The corresponding C function is `sd_pid_notify_with_fds(3)`.
internal func systemd_notify_with_fds(_ state: UnsafePointer<CChar>, _ fds: [CInt]) -> CInt {
    fds.withUnsafeBufferPointer { sd_pid_notify_with_fds(0, 0, state, $0.baseAddress, UInt32($0.count)) }
}

/// The descriptors passed by the service manager (from `SD_LISTEN_FDS_START`) and their names.
/// The corresponding C function is `sd_listen_fds_with_names(3)`.
internal func systemd_listen_fds_with_names(_ unsetEnvironment: Bool) -> (CInt, [String]) {
    var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    let count = sd_listen_fds_with_names(unsetEnvironment ? 1 : 0, &names)
    var result: [String] = []
    if count > 0, let names {
        for index in 0 ..< Int(count) {
            result.append(names[index].map { String(cString: $0) } ?? "unknown")
            free(names[index])
        }
    }
    free(names)
    return (count, result)
}

/// Whether `fd` is a listening TCP stream socket, of any address family.
/// The corresponding C function is `sd_is_socket_inet(3)`.
internal func systemd_is_listening_inet_stream(_ fd: CInt) -> CInt {
    sd_is_socket_inet(fd, AF_UNSPEC, CInt(SOCK_STREAM.rawValue), 1, 0)
}

// MARK: sd-login

/// The user unit `pid` (0: this process) belongs to, from its cgroup, or nil when it is in none.
/// The corresponding C function is `sd_pid_get_user_unit(3)`.
internal func systemd_pid_get_user_unit(_ pid: pid_t) -> String? {
    var unit: UnsafeMutablePointer<CChar>?
    let r = sd_pid_get_user_unit(pid, &unit)
    defer { free(unit) }
    guard r >= 0, let unit else { return nil }
    return String(cString: unit)
}

// MARK: sd-journal

/// Sends one entry whose fields are `buffers` (each `NAME=value`).
/// The corresponding C function is `sd_journal_sendv(3)`.
internal func systemd_journal_sendv(_ buffers: [[UInt8]]) -> CInt {
    func nest(_ index: Int, _ vectors: inout [iovec]) -> CInt {
        if index == buffers.count {
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, CInt($0.count)) }
        }
        return buffers[index].withUnsafeBytes { raw in
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count))
            return nest(index + 1, &vectors)
        }
    }
    var vectors: [iovec] = []
    vectors.reserveCapacity(buffers.count)
    return nest(0, &vectors)
}

internal let systemd_journal_local_only = CInt(SD_JOURNAL_LOCAL_ONLY)
internal let systemd_journal_current_user = CInt(SD_JOURNAL_CURRENT_USER)

/// The corresponding C function is `sd_journal_open(3)`.
internal func systemd_journal_open(_ journal: inout OpaquePointer?, _ flags: CInt) -> CInt {
    sd_journal_open(&journal, flags)
}

internal func systemd_journal_close(_ journal: OpaquePointer) { sd_journal_close(journal) }

internal func systemd_journal_add_match(_ journal: OpaquePointer, _ match: String) -> CInt {
    match.withCString { sd_journal_add_match(journal, $0, 0) }
}

internal func systemd_journal_add_disjunction(_ journal: OpaquePointer) -> CInt { sd_journal_add_disjunction(journal) }
internal func systemd_journal_seek_tail(_ journal: OpaquePointer) -> CInt { sd_journal_seek_tail(journal) }
internal func systemd_journal_previous_skip(_ journal: OpaquePointer, _ skip: UInt64) -> CInt { sd_journal_previous_skip(journal, skip) }
internal func systemd_journal_next(_ journal: OpaquePointer) -> CInt { sd_journal_next(journal) }
internal func systemd_journal_wait(_ journal: OpaquePointer, _ usec: UInt64) -> CInt { sd_journal_wait(journal, usec) }

internal func systemd_journal_get_realtime_usec(_ journal: OpaquePointer, _ usec: inout UInt64) -> CInt {
    sd_journal_get_realtime_usec(journal, &usec)
}

/// The field's value (without `FIELD=`), or nil when the entry lacks it.
internal func systemd_journal_get_data(_ journal: OpaquePointer, _ field: String) -> [UInt8]? {
    var data: UnsafeRawPointer?
    var length = 0
    let r = field.withCString { sd_journal_get_data(journal, $0, &data, &length) }
    guard r >= 0, let data else { return nil }
    let bytes = UnsafeRawBufferPointer(start: data, count: length)
    return Array(bytes.dropFirst(field.utf8.count + 1))
}

// MARK: sd-bus

internal typealias BusMessageHandler = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<sd_bus_error>?) -> CInt

/// A scratch `sd_bus_error`, freed when the closure returns ("sd_bus_error must be freed even on success").
internal func withBusError<T>(_ body: (UnsafeMutablePointer<sd_bus_error>) -> T) -> T {
    var error = sd_bus_error()  // == SD_BUS_ERROR_NULL, which does not import
    defer { sd_bus_error_free(&error) }
    return body(&error)
}

internal func busErrorName(_ error: UnsafePointer<sd_bus_error>) -> String? { error.pointee.name.map { String(cString: $0) } }
internal func busErrorMessage(_ error: UnsafePointer<sd_bus_error>) -> String? { error.pointee.message.map { String(cString: $0) } }

/// The corresponding C function is `sd_bus_open_user(3)`.
internal func systemd_bus_open_user(_ bus: inout OpaquePointer?) -> CInt { sd_bus_open_user(&bus) }
internal func systemd_bus_open_system(_ bus: inout OpaquePointer?) -> CInt { sd_bus_open_system(&bus) }
internal func systemd_bus_flush_close_unref(_ bus: OpaquePointer) { _ = sd_bus_flush_close_unref(bus) }

internal func systemd_bus_message_new_method_call(
    _ bus: OpaquePointer, _ message: inout OpaquePointer?, _ destination: String, _ path: String, _ interface: String, _ member: String
) -> CInt {
    sd_bus_message_new_method_call(bus, &message, destination, path, interface, member)
}

internal func systemd_bus_message_unref(_ message: OpaquePointer) { _ = sd_bus_message_unref(message) }

internal func systemd_bus_message_append_string(_ message: OpaquePointer, _ value: String) -> CInt {
    value.withCString { sd_bus_message_append_basic(message, CChar(UInt8(ascii: "s")), $0) }
}

internal func systemd_bus_message_append_bool(_ message: OpaquePointer, _ value: Bool) -> CInt {
    var v: Int32 = value ? 1 : 0  // D-Bus booleans are 32-bit
    return sd_bus_message_append_basic(message, CChar(UInt8(ascii: "b")), &v)
}

internal func systemd_bus_message_append_strv(_ message: OpaquePointer, _ values: [String]) -> CInt {
    var pointers = values.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeMutableBufferPointer { sd_bus_message_append_strv(message, $0.baseAddress) }
}

internal func systemd_bus_message_append_uint32(_ message: OpaquePointer, _ value: UInt32) -> CInt {
    var v = value
    return sd_bus_message_append_basic(message, CChar(UInt8(ascii: "u")), &v)
}

internal func systemd_bus_message_append_int32(_ message: OpaquePointer, _ value: Int32) -> CInt {
    var v = value
    return sd_bus_message_append_basic(message, CChar(UInt8(ascii: "i")), &v)
}

/// An empty array of `contents` (e.g. `{sv}`): the corresponding C functions are
/// `sd_bus_message_open_container(3)` and `sd_bus_message_close_container(3)`.
internal func systemd_bus_message_append_empty_array(_ message: OpaquePointer, _ contents: String) -> CInt {
    let r = sd_bus_message_open_container(message, CChar(UInt8(ascii: "a")), contents)
    guard r >= 0 else { return r }
    return sd_bus_message_close_container(message)
}

/// The corresponding C function is `sd_bus_call(3)`.
internal func systemd_bus_call(
    _ bus: OpaquePointer, _ message: OpaquePointer, _ usec: UInt64, _ error: UnsafeMutablePointer<sd_bus_error>, _ reply: inout OpaquePointer?
) -> CInt {
    sd_bus_call(bus, message, usec, error, &reply)
}

/// Reads a string-like basic value (`s` or `o`).
internal func systemd_bus_message_read_string(_ message: OpaquePointer, _ type: Character) -> (CInt, String?) {
    var pointer: UnsafePointer<CChar>?
    let r = sd_bus_message_read_basic(message, CChar(type.asciiValue!), &pointer)
    return (r, r > 0 ? pointer.map { String(cString: $0) } : nil)
}

internal func systemd_bus_message_read_uint32(_ message: OpaquePointer) -> (CInt, UInt32) {
    var value: UInt32 = 0
    let r = sd_bus_message_read_basic(message, CChar(UInt8(ascii: "u")), &value)
    return (r, value)
}

internal func systemd_bus_message_read_bool(_ message: OpaquePointer) -> (CInt, Bool) {
    var value: Int32 = 0  // D-Bus booleans are 32-bit
    let r = sd_bus_message_read_basic(message, CChar(UInt8(ascii: "b")), &value)
    return (r, value != 0)
}

internal func systemd_bus_message_enter_container(_ message: OpaquePointer, _ type: Character, _ contents: String) -> CInt {
    sd_bus_message_enter_container(message, CChar(type.asciiValue!), contents)
}

internal func systemd_bus_message_exit_container(_ message: OpaquePointer) -> CInt { sd_bus_message_exit_container(message) }

internal func systemd_bus_match_signal(
    _ bus: OpaquePointer, _ slot: inout OpaquePointer?, _ sender: String, _ path: String, _ interface: String, _ member: String,
    _ handler: BusMessageHandler, _ userdata: UnsafeMutableRawPointer
) -> CInt {
    sd_bus_match_signal(bus, &slot, sender, path, interface, member, handler, userdata)
}

internal func systemd_bus_slot_unref(_ slot: OpaquePointer) { _ = sd_bus_slot_unref(slot) }
internal func systemd_bus_process(_ bus: OpaquePointer) -> CInt { sd_bus_process(bus, nil) }
internal func systemd_bus_wait(_ bus: OpaquePointer, _ usec: UInt64) -> CInt { sd_bus_wait(bus, usec) }

internal func systemd_bus_get_property_string(
    _ bus: OpaquePointer, _ destination: String, _ path: String, _ interface: String, _ member: String,
    _ error: UnsafeMutablePointer<sd_bus_error>
) -> (CInt, String?) {
    var result: UnsafeMutablePointer<CChar>?
    let r = sd_bus_get_property_string(bus, destination, path, interface, member, error, &result)
    guard r >= 0, let result else { return (r, nil) }
    defer { free(result) }  // "free the result!"
    return (r, String(cString: result))
}

/// The type of the next value (and, for containers, their contents), without reading it.
internal func systemd_bus_message_peek_type(_ message: OpaquePointer) -> (CInt, Character?, String?) {
    var type: CChar = 0
    var contents: UnsafePointer<CChar>?
    let r = sd_bus_message_peek_type(message, &type, &contents)
    guard r > 0 else { return (r, nil, nil) }
    return (r, Character(UnicodeScalar(UInt8(bitPattern: type))), contents.map { String(cString: $0) })
}

internal func systemd_bus_message_skip(_ message: OpaquePointer, _ types: String) -> CInt {
    sd_bus_message_skip(message, types)
}

/// Reads one basic value of a type that fits in 64 bits (`y b n q i u x t`), widened.
internal func systemd_bus_message_read_integer(_ message: OpaquePointer, _ type: Character) -> (CInt, Int64) {
    var raw: UInt64 = 0
    let r = sd_bus_message_read_basic(message, CChar(type.asciiValue!), &raw)
    switch type {
    case "y": return (r, Int64(UInt8(truncatingIfNeeded: raw)))
    case "b", "i": return (r, Int64(Int32(truncatingIfNeeded: raw)))
    case "n": return (r, Int64(Int16(truncatingIfNeeded: raw)))
    case "q": return (r, Int64(UInt16(truncatingIfNeeded: raw)))
    case "u": return (r, Int64(UInt32(truncatingIfNeeded: raw)))
    default: return (r, Int64(bitPattern: raw))
    }
}
#endif
