import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloSite
import SportelloStore

/// A group of endpoint routes and the dependencies they use (Hummingbird's `RouteCollection` is the model): the
/// router (`Application.dispatch`) hands it a request that passed its steps. Every controller answers through
/// the same `EndpointAnswers`; the forwarders below let a handler say `failure(…)`, `page(…)`, `json(…)`.
protocol EndpointController {
    var answers: EndpointAnswers { get }
}

extension EndpointController {
    var site: LoadedSite { answers.site }
    var configuration: SiteConfiguration { answers.site.configuration }
    var layout: SiteLayout { answers.site.renderer.layout }

    func page(
        _ template: String, status: Int, title: String, context: RequestContext, values: TemplateFields,
        pageID: PageID = .catalogue
    ) -> HTTPResponse {
        answers.page(template, status: status, title: title, context: context, values: values, pageID: pageID)
    }

    func json(_ status: Int, _ object: [String: Any]) -> HTTPResponse { answers.json(status, object) }

    func whenText(_ slot: Slot, _ t: Translations) -> String { answers.whenText(slot, t) }

    func holdJSON(_ hold: Hold, slot: Slot) -> [String: Any] { answers.holdJSON(hold, slot: slot) }

    func bookingJSON(_ booking: Booking) -> [String: Any] { answers.bookingJSON(booking) }

    func failure(
        _ error: EndpointError, _ context: RequestContext, service: Service? = nil, near slot: Slot? = nil,
        fieldErrors: [String: String] = [:], messageArguments: KeyValuePairs<String, String> = [:],
        extra: (json: [String: Any], page: TemplateFields)? = nil
    ) -> HTTPResponse {
        answers.failure(
            error, context, service: service, near: slot, fieldErrors: fieldErrors,
            messageArguments: messageArguments, extra: extra)
    }

    func cookie(_ name: String, value: String, path: String, maxAge: Int64, sameSite: String = "Strict") -> String {
        answers.cookie(name, value: value, path: path, maxAge: maxAge, sameSite: sameSite)
    }

    func notice(
        _ key: String, status: Int = 200, context: RequestContext,
        arguments: KeyValuePairs<String, String> = [:]
    ) -> HTTPResponse {
        answers.notice(key, status: status, context: context, arguments: arguments)
    }
}
