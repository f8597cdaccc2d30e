/// Desktop notifications through the user bus's `org.freedesktop.Notifications` (the Desktop
/// Notifications Specification's `Notify`), sent with sd-bus like the unit control.
public struct DesktopNotifications: Sendable {
    /// The name shown as the notification's source.
    public let application: String

    public init(application: String) {
        self.application = application
    }

    /// Shows one notification; returns its id.
    ///
    /// - Throws: ``BusError``: no user bus, or no notification service on it
    ///   (`org.freedesktop.DBus.Error.ServiceUnknown`).
    @discardableResult
    public func show(summary: String, body: String, timeout: Duration = .seconds(2)) throws(BusError) -> UInt32 {
        let bus = try SystemdBus.user()
        let reply = try bus.call(
            destination: "org.freedesktop.Notifications", path: "/org/freedesktop/Notifications",
            interface: "org.freedesktop.Notifications", member: "Notify",
            [.string(application), .uint32(0), .string("dialog-warning"), .string(summary), .string(body),
             .strings([]), .emptyArray("{sv}"), .int32(-1)],
            description: "show a desktop notification", timeout: timeout)
        return try reply.readUInt32()
    }
}
