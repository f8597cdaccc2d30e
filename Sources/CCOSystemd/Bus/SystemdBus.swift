public import SystemPackage

/// A connection to a D-Bus bus through sd-bus. Owns its `sd_bus*`.
///
/// The corresponding C functions are `sd_bus_open_user(3)`, `sd_bus_call(3)`, `sd_bus_process(3)`,
/// `sd_bus_wait(3)`, `sd_bus_flush_close_unref(3)`.
public final class SystemdBus {
    let handle: OpaquePointer

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        #if os(Linux)
        systemd_bus_flush_close_unref(handle)
        #endif
    }

    /// The calling user's bus (`$DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus`), where the
    /// user's service manager is `org.freedesktop.systemd1`.
    ///
    /// - Throws: ``BusError``; ``BusError/isBusUnreachable`` tells "no session" apart.
    public static func user() throws(BusError) -> SystemdBus {
        #if os(Linux)
        var bus: OpaquePointer?
        let r = systemd_bus_open_user(&bus)
        if case .failure(let errno) = valueOrNegativeErrno(r) {
            throw BusError(name: nil, message: nil, errno: errno, operation: "connect to the user bus")
        }
        return SystemdBus(handle: bus!)
        #else
        throw BusError(name: nil, message: "sd-bus is Linux-only", errno: .notSupported, operation: "connect to the user bus")
        #endif
    }

    /// One argument of a method call.
    public enum Argument: Sendable, Hashable {
        case string(String)
        case strings([String])
        case bool(Bool)
        case uint32(UInt32)
        case int32(Int32)
        /// An empty array of the signature's contents, e.g. `{sv}` for no hints.
        case emptyArray(String)
    }

    /// Calls a method and returns its reply for reading.
    ///
    /// - Throws: ``BusError`` with the D-Bus error the peer replied with.
    func call(
        destination: String, path: String, interface: String, member: String,
        _ arguments: [Argument] = [], description: String? = nil, timeout: Duration? = nil
    ) throws(BusError) -> BusReply {
        #if os(Linux)
        let operation = description ?? member
        var message: OpaquePointer?
        try check(systemd_bus_message_new_method_call(handle, &message, destination, path, interface, member), operation)
        defer { systemd_bus_message_unref(message!) }
        for argument in arguments {
            let r: CInt
            switch argument {
            case .string(let s): r = systemd_bus_message_append_string(message!, s)
            case .strings(let list): r = systemd_bus_message_append_strv(message!, list)
            case .bool(let b): r = systemd_bus_message_append_bool(message!, b)
            case .uint32(let v): r = systemd_bus_message_append_uint32(message!, v)
            case .int32(let v): r = systemd_bus_message_append_int32(message!, v)
            case .emptyArray(let contents): r = systemd_bus_message_append_empty_array(message!, contents)
            }
            try check(r, operation)
        }
        var reply: OpaquePointer?
        let failure: BusError? = withBusError { error in
            let usec = timeout.map { UInt64(max(0, $0.components.seconds)) * 1_000_000 + UInt64(max(0, $0.components.attoseconds) / 1_000_000_000_000) } ?? 0
            let r = systemd_bus_call(handle, message!, usec, error, &reply)
            guard r < 0 else { return nil }
            return BusError(name: busErrorName(error), message: busErrorMessage(error), errno: Errno(rawValue: -r), operation: operation)
        }
        if let failure { throw failure }
        return BusReply(message: reply!)
        #else
        throw BusError(name: nil, message: nil, errno: .notSupported, operation: member)
        #endif
    }

    /// Processes pending messages (running signal handlers), then waits up to `timeout` for more.
    func processOrWait(timeout: Duration) throws(BusError) {
        #if os(Linux)
        let r = systemd_bus_process(handle)
        try check(r, "process bus messages")
        if r > 0 { return }  // more may be queued: process again before waiting
        let usec = UInt64(max(0, timeout.components.seconds)) * 1_000_000 + UInt64(max(0, timeout.components.attoseconds) / 1_000_000_000_000)
        try check(systemd_bus_wait(handle, usec), "wait for bus messages")
        #endif
    }

    func check(_ r: CInt, _ operation: String) throws(BusError) {
        if case .failure(let errno) = valueOrNegativeErrno(r) {
            throw BusError(name: nil, message: nil, errno: errno, operation: operation)
        }
    }
}

@available(*, unavailable)
extension SystemdBus: Sendable {}

/// A method reply being read, in order. Owns its `sd_bus_message*`.
final class BusReply {
    let message: OpaquePointer

    init(message: OpaquePointer) {
        self.message = message
    }

    deinit {
        #if os(Linux)
        systemd_bus_message_unref(message)
        #endif
    }

    /// Reads an `s` or `o` value; nil at the end of the message or container.
    func readString(_ type: Character = "s") throws(BusError) -> String? {
        #if os(Linux)
        let (r, value) = systemd_bus_message_read_string(message, type)
        if r < 0 { throw BusError(name: nil, message: nil, errno: Errno(rawValue: -r), operation: "read reply") }
        return value
        #else
        return nil
        #endif
    }

    func readUInt32() throws(BusError) -> UInt32 {
        #if os(Linux)
        let (r, value) = systemd_bus_message_read_uint32(message)
        if r < 0 { throw BusError(name: nil, message: nil, errno: Errno(rawValue: -r), operation: "read reply") }
        return value
        #else
        return 0
        #endif
    }

    func readBool() throws(BusError) -> Bool {
        #if os(Linux)
        let (r, value) = systemd_bus_message_read_bool(message)
        if r < 0 { throw BusError(name: nil, message: nil, errno: Errno(rawValue: -r), operation: "read reply") }
        return value
        #else
        return false
        #endif
    }

    /// Enters a container (`a` with contents `(sss)`, or `r` with `sss`); false at its end.
    func enter(_ type: Character, _ contents: String) throws(BusError) -> Bool {
        #if os(Linux)
        let r = systemd_bus_message_enter_container(message, type, contents)
        if r < 0 { throw BusError(name: nil, message: nil, errno: Errno(rawValue: -r), operation: "read reply") }
        return r > 0
        #else
        return false
        #endif
    }

    /// One property value of `Properties.GetAll`: strings and integers; other types are skipped.
    enum Value: Equatable {
        case string(String)
        case integer(Int64)
    }

    /// Reads an `a{sv}` dictionary (the reply of `org.freedesktop.DBus.Properties.GetAll`).
    func readProperties() throws(BusError) -> [String: Value] {
        #if os(Linux)
        var values: [String: Value] = [:]
        guard try enter("a", "{sv}") else { return values }
        while try enter("e", "sv") {
            guard let name = try readString() else { break }
            let (_, _, contents) = systemd_bus_message_peek_type(message)
            switch contents {
            case "s"?, "o"?:
                _ = try enter("v", contents!)
                values[name] = .string(try readString(Character(contents!)) ?? "")
                exit()
            case let type? where type.count == 1 && "ybnqiuxt".contains(type):
                _ = try enter("v", type)
                let (r, value) = systemd_bus_message_read_integer(message, Character(type))
                if r < 0 { throw BusError(name: nil, message: nil, errno: Errno(rawValue: -r), operation: "read \(name)") }
                values[name] = .integer(value)
                exit()
            default:
                _ = systemd_bus_message_skip(message, "v")
            }
            exit()
        }
        exit()
        return values
        #else
        return [:]
        #endif
    }

    func exit() {
        #if os(Linux)
        _ = systemd_bus_message_exit_container(message)
        #endif
    }
}
