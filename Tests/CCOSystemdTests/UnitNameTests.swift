import Testing
import CCOSystemd

@Suite struct UnitNameTests {
    // Expected values are what sd_bus_path_encode(3) gives (and `busctl --user tree` shows).
    @Test(arguments: [
        ("cco-daemon.service", "/org/freedesktop/systemd1/unit/cco_2ddaemon_2eservice"),
        ("cco-daemon.socket", "/org/freedesktop/systemd1/unit/cco_2ddaemon_2esocket"),
        ("dbus.service", "/org/freedesktop/systemd1/unit/dbus_2eservice"),
        ("a_b@1.service", "/org/freedesktop/systemd1/unit/a_5fb_401_2eservice"),
        ("1up.service", "/org/freedesktop/systemd1/unit/_31up_2eservice"),
        ("lía.service", "/org/freedesktop/systemd1/unit/l_c3_ada_2eservice"),
        ("", "/org/freedesktop/systemd1/unit/_"),
    ])
    func objectPathEscapesLikeSdBusPathEncode(unit: String, path: String) {
        #expect(UnitName.objectPath(of: unit) == path)
    }
}
