import SportelloHTTP
import SportelloSite

/// A request on its way through the endpoint: what it is (the HTTP request and the route it names) and what the
/// request steps have found out so far (the form, the language, who is signed in). See `RequestStep`.
struct EndpointRequest {
    let http: HTTPRequest
    /// Nil for a path under `/api/` that names no route.
    let route: EndpointRoute?
    var context: RequestContext
    /// The decoded form (or, for a GET, the query); empty until a decoding step ran.
    var fields = FormFields()

    init(http: HTTPRequest, route: EndpointRoute?, context: RequestContext) {
        self.http = http
        self.route = route
        self.context = context
    }
}
