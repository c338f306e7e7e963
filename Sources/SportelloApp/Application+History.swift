import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// Back and forward (docs/ARCHITECTURE.md "Back and forward"): a browser's POST never ends on a page of its own.
/// Every page a form answers is kept (`PageSnapshots`) and the POST answers `303 See Other` to
/// `GET /api/page?p=<id>`, so the history holds only GETs the browser can fetch again: no "Confirm Form
/// Resubmission", no `ERR_CACHE_MISS`. JSON clients and downloads get their answers as before.
extension Application {
    /// The answer a browser gets to the POST `request`, whose route answered `response`.
    func seeOther(_ response: HTTPResponse, for request: EndpointRequest) -> HTTPResponse {
        let sent = PageSnapshots.owner(of: request.http)
        // Signing out closes the way back to the pages of the session, whoever the next person at the desk is:
        // the pages go, and so does the cookie (a changed cookie also keeps the browser from showing them again
        // out of its back/forward cache).
        if request.route == .logout || request.route == .operatorLogout {
            if let owner = sent { answers.pages.forget(owner: owner) }
            var response = response
            response.headers.append(
                ("Set-Cookie", cookie(PageSnapshots.cookieName, value: "", path: layout.apiRoot + "/", maxAge: 0)))
            return response
        }
        guard !request.context.wantsJSON, !(300..<400).contains(response.status),
            response.header("Content-Type")?.hasPrefix("text/html") == true
        else { return response }
        let owner = sent ?? Tokens.hex128()
        let id = answers.pages.keep(response, owner: owner)
        var redirect = HTTPResponse.redirect(layout.api(.page) + "?p=" + id)
        redirect.headers.append(("Cache-Control", "no-store"))
        redirect.headers += response.headers.filter { $0.0.lowercased() == "set-cookie" }
        if sent == nil {
            redirect.headers.append(
                (
                    "Set-Cookie",
                    cookie(
                        PageSnapshots.cookieName, value: owner, path: layout.apiRoot + "/", maxAge: 86_400,
                        sameSite: "Lax")
                ))
        }
        return redirect
    }

    /// `GET /api/page`: the page a POST of this browser answered, as often as it is asked for; once it is gone
    /// (expired, signed out, the server restarted) a page saying that nothing changed and how to go on.
    func shownPage(_ request: EndpointRequest) -> HTTPResponse {
        if let owner = PageSnapshots.owner(of: request.http), let id = request.fields["p"],
            let page = answers.pages.page(id, owner: owner)
        {
            var headers = page.headers
            if !headers.contains(where: { $0.0.lowercased() == "cache-control" }) {
                headers.append(("Cache-Control", "no-store"))
            }
            return HTTPResponse(status: page.status, headers: headers, body: page.body)
        }
        let context = request.context
        let t = site.renderer.texts(context.language)
        if context.wantsJSON { return json(410, ["error": "pageGone", "message": t.text("history.gone.message")]) }
        return page(
            "notice", status: 410, title: t.text("history.gone.title"), context: context,
            values: [
                "message": .string(t.text("history.gone.message")), "next": .string(t.text("history.gone.next")),
                "accountURL": .string(layout.url(.account, language: context.language)),
            ], pageID: .account)
    }
}
