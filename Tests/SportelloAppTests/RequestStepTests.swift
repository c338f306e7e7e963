import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloTesting
import Testing

@testable import SportelloApp

/// Each request step on its own, on request values built in the test: no socket, no database.
@Suite struct RequestStepTests {
    static let layout = SiteLayout(basePath: "", mainLanguage: "it")
    static let origin = "https://prenota.comune.example.it"
    static let configuration = Result { try SiteConfiguration.load(path: FixtureComune.options(in: "").configPath) }

    /// A request as the router hands it to the steps (its context as an Italian browser's).
    func endpoint(
        _ method: String, _ route: EndpointRoute?, query: String? = nil, headers: [(String, String)] = [],
        body: String = "", from address: String = "192.0.2.7"
    ) throws -> EndpointRequest {
        let path = route.map { Self.layout.api($0) } ?? Self.layout.apiRoot + "/nothing"
        let target = path + (query.map { "?" + $0 } ?? "")
        let http = HTTPRequest(
            method: method, target: target, headers: HTTPHeaders(headers), body: Array(body.utf8),
            remoteAddress: address)
        var context = RequestContext(request: http, configuration: try Self.configuration.get())
        context.language = "it"
        return EndpointRequest(http: http, route: route, context: context)
    }

    /// Runs one step: its refusal, if any, and the request as the step left it.
    func run(_ step: RequestStep, _ request: EndpointRequest) -> (RequestRefusal?, EndpointRequest) {
        var request = request
        let refusal = step.run(&request)
        return (refusal, request)
    }

    /// The error a step refuses a POST to `holds` with, nil when it lets it go on.
    func refusal(_ step: RequestStep, headers: [(String, String)] = [], body: String = "") throws -> EndpointError? {
        run(step, try endpoint("POST", .holds, headers: headers, body: body)).0?.error
    }

    @Test func onlyAPostIsAFormAndAGetOnlyWhereTheGatewayComesBack() throws {
        #expect(try refusal(.methodAllowed) == nil)
        #expect(run(.methodAllowed, try endpoint("GET", .resumeHold)).0 == nil)
        #expect(run(.methodAllowed, try endpoint("GET", .myBookings)).0 == nil)
        let refused: [(String, EndpointRoute)] = [
            ("GET", .holds), ("HEAD", .resumeHold), ("PUT", .bookings),
            ("DELETE", .operatorAgenda),
        ]
        for (method, route) in refused {
            let refusal = run(.methodAllowed, try endpoint(method, route)).0
            #expect(refusal?.error == .methodNotAllowed)
            #expect(refusal?.headers.first { $0.0 == "Allow" }?.1 == "POST")
        }
        // Health answers GET and HEAD before any step: whatever else reaches the steps is refused, saying so.
        let health = run(.methodAllowed, try endpoint("POST", .health)).0
        #expect(health?.error == .methodNotAllowed)
        #expect(health?.headers.first { $0.0 == "Allow" }?.1 == "GET, HEAD")
        // An address naming no route: a POST goes on (to "not found"), anything else is told to POST.
        #expect(run(.methodAllowed, try endpoint("POST", nil)).0 == nil)
        #expect(run(.methodAllowed, try endpoint("GET", nil)).0?.headers.first?.1 == "POST")
    }

    @Test func theAddressRateCountsPerClientAndSaysWhenToComeBack() throws {
        let limiter = RateLimiter(capacity: 2, perMinute: 2)
        let step = RequestStep.addressRate(limiter, clock: { 1_000 })
        #expect(try refusal(step) == nil)
        #expect(try refusal(step) == nil)
        let refused = run(step, try endpoint("POST", .holds)).0
        #expect(refused?.error == .rateLimited)
        #expect(refused?.headers.first { $0.0 == "Retry-After" }?.1 == "60")
        // Another client has its own budget; no limiter is no limit.
        #expect(run(step, try endpoint("POST", .holds, from: "192.0.2.8")).0 == nil)
        #expect(try refusal(.addressRate(nil, clock: { 1_000 })) == nil)
    }

    @Test func aFormComesFromTheSitesOwnPagesOrFromAClientThatNamesNoPage() throws {
        let step = RequestStep.sameOrigin(Self.origin)
        #expect(try refusal(step, headers: [("Origin", Self.origin)]) == nil)
        #expect(try refusal(step, headers: [("Origin", "HTTPS://Prenota.Comune.Example.it:443")]) == nil)
        #expect(try refusal(step, headers: [("Referer", Self.origin + "/servizi/anagrafe/")]) == nil)
        #expect(try refusal(step) == nil)
        #expect(try refusal(step, headers: [("Origin", "https://evil.example")]) == .badOrigin)
        #expect(try refusal(step, headers: [("Referer", Self.origin + ".evil.example/")]) == .badOrigin)
        #expect(try refusal(step, headers: [("Origin", "null")]) == .badOrigin)
    }

    @Test func onlyAURLEncodedFormIsReadAsAForm() throws {
        #expect(try refusal(.formContentType) == nil)
        let encoded = ("Content-Type", "Application/X-WWW-Form-Urlencoded; charset=utf-8")
        #expect(try refusal(.formContentType, headers: [encoded]) == nil)
        for type in ["application/json", "text/plain", "multipart/form-data; boundary=x"] {
            #expect(try refusal(.formContentType, headers: [("Content-Type", type)]) == .badForm)
        }
        // The media type before any parameter, without the blanks around it, in any case.
        for type in [
            " \tapplication/x-www-form-urlencoded ", "APPLICATION/X-WWW-FORM-URLENCODED;charset=utf-8",
            "application/x-www-form-urlencoded\u{A0}",
        ] {
            #expect(try refusal(.formContentType, headers: [("Content-Type", type)]) == nil, "\(type)")
        }
        for type in [
            "", " ", "application/x-www-form-urlencodedx", "xapplication/x-www-form-urlencoded",
            "application/x-www-form-urlencoded, text/plain", "application / x-www-form-urlencoded",
            "applicatıon/x-www-form-urlencoded",
        ] {
            #expect(try refusal(.formContentType, headers: [("Content-Type", type)]) == .badForm, "\(type)")
        }
    }

    @Test func theFormIsDecodedOnceAndUndecodableBytesAreABadForm() throws {
        let form = try endpoint("POST", .holds, body: "service=anagrafe&slot=1764054000&lang=en")
        let (refusal, decoded) = run(.formDecoded, form)
        #expect(refusal == nil)
        #expect(decoded.fields["service"] == "anagrafe")
        #expect(decoded.fields["slot"] == "1764054000")
        #expect(try self.refusal(.formDecoded, body: "nome=%FF%FE") == .badForm)
    }

    @Test func theQueryOfAGatewayReturnIsReadAndABrokenOneReadsAsEmpty() throws {
        let (refusal, decoded) = run(.queryDecoded, try endpoint("GET", .resumeHold, query: "hold=abc&lang=en"))
        #expect(refusal == nil)
        #expect(decoded.fields["hold"] == "abc")
        let broken = run(.queryDecoded, try endpoint("GET", .resumeHold, query: "hold=%FF")).1
        #expect(broken.fields["hold"] == nil)
    }

    @Test func thePagesLanguageWinsWhenTheComuneHasIt() throws {
        var request = try endpoint("POST", .holds)
        request.fields = FormFields([("lang", "en")])
        #expect(run(.language(["it", "en"]), request).1.context.language == "en")
        request.fields = FormFields([("lang", "xx")])
        #expect(run(.language(["it", "en"]), request).1.context.language == "it")
    }

    @Test func aFilledInHoneypotIsARobotsForm() throws {
        var request = try endpoint("POST", .holds)
        request.fields = FormFields([("website", "")])
        #expect(run(.honeypot, request).0 == nil)
        request.fields = FormFields([("website", "http://spam.example")])
        #expect(run(.honeypot, request).0?.error == .badForm)
    }

    @Test func theStepsRunInOrderAndTheFirstRefusalStops() throws {
        var request = try endpoint("GET", .holds, headers: [("Origin", "https://evil.example")])
        let refusal = RequestStep.run([.methodAllowed, .sameOrigin(Self.origin)], on: &request)
        #expect(refusal?.error == .methodNotAllowed)
        var form = try endpoint("POST", .holds, body: "website=x&service=a")
        #expect(RequestStep.run([.methodAllowed, .formDecoded, .honeypot], on: &form)?.error == .badForm)
        #expect(form.fields["service"] == "a")
    }
}
