import CCOGateway
import Hummingbird
import HTTPTypes
import NIOCore

/// `GET /`: the dashboard, compiled into `cco-daemon` (``DashboardPage``, ``DashboardStyle``,
/// ``DashboardScript``). It reads only the daemon's own API (`/api/stats`, `/api/sessions`,
/// `/api/calls`, `/api/budget`, `/api/daemon`, `/api/events`), so its figures are those of
/// `cco stats`, and it loads nothing from any other host: the Content-Security-Policy allows
/// scripts, styles and connections to this origin only, and no framing.
struct DashboardRoutes: Sendable {
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func register(on router: Router<ConnectionContext>) {
        router.get("/") { _, _ in Self.asset(DashboardPage.html, type: "text/html; charset=utf-8") }
        router.get("/dashboard.css") { _, _ in Self.asset(DashboardStyle.css, type: "text/css; charset=utf-8") }
        router.get("/dashboard.js") { _, _ in Self.asset(DashboardScript.javaScript, type: "text/javascript; charset=utf-8") }
    }

    static let referrerPolicy = HTTPField.Name("referrer-policy")!
    static let contentTypeOptions = HTTPField.Name("x-content-type-options")!
    static let securityPolicy = HTTPField.Name("content-security-policy")!

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type, .cacheControl: "no-cache", securityPolicy: contentSecurityPolicy,
                contentTypeOptions: "nosniff", referrerPolicy: "no-referrer",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
