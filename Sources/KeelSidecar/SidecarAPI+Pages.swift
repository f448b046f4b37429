import Foundation
import Hummingbird

extension SidecarAPI {
    /// The pages for people: `/` (status), `/soaks/` (reports with their charts), a report's
    /// `report.json` and `chart.svg`, and `/runbook/<Alert>` (the runbook file of a configured
    /// alert, when its runbook is a path rather than a web address).
    static func addPages(to router: Router<BasicRequestContext>, sidecar: Sidecar) {
        router.get("/") { _, _ -> Response in
            SidecarAPI.page(StatusPage.render(sidecar.statusModel()))
        }
        router.get("/soaks") { _, _ -> Response in
            SidecarAPI.page(StatusPage.renderSoaks(sidecar.soakReports.reports(), now: Date().timeIntervalSince1970))
        }
        router.get("/soaks/:name/:file") { _, context -> Response in
            let name = context.parameters.get("name") ?? "", file = context.parameters.get("file") ?? ""
            guard let path = sidecar.soakReports.file(file, of: name), let data = FileManager.default.contents(atPath: path) else {
                throw HTTPError(.notFound, message: "no soak report file \(file) for '\(name)': /soaks/ lists them")
            }
            return SidecarAPI.fileResponse(data, type: file.hasSuffix(".svg") ? "image/svg+xml" : "application/json; charset=utf-8")
        }
        router.get("/runbook/:alert") { _, context -> Response in
            let name = context.parameters.get("alert") ?? ""
            guard let rule = sidecar.configuration.alerts.rules.first(where: { $0.name == name }),
                !rule.runbookURL.hasPrefix("http://"), !rule.runbookURL.hasPrefix("https://"),
                let data = FileManager.default.contents(atPath: rule.runbookURL)
            else {
                throw HTTPError(.notFound, message: "no runbook file for alert '\(name)' (runbook/alerts/ in the repository holds them all)")
            }
            return SidecarAPI.fileResponse(data, type: "text/plain; charset=utf-8")
        }
    }

    private static func page(_ html: String) -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: html)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        response.headers[.cacheControl] = "no-store"
        response.headers[.contentSecurityPolicy] = StatusPage.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }

    private static func fileResponse(_ data: Data, type: String) -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        response.headers[.contentType] = type
        response.headers[.cacheControl] = "no-store"
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'"
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}
