import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import Testing

@testable import SportelloApp

/// The whole router in process (`Application.respond(to:)` on a request value): the route table, the steps as
/// the router composes them, and what each refusal looks like on the wire.
@Suite struct RouterTests {
    @Test func healthAnswersGETAndHEADAndTellsOtherMethodsWhatItAllows() throws {
        let client = try RouterClient()
        let health = client.respond("GET", client.path(.health))
        #expect(health.status == 200)
        #expect(health.header("Content-Type") == "application/json; charset=utf-8")
        #expect(health.text.contains("\"status\":\"ok\""))
        #expect(client.respond("HEAD", client.path(.health)).status == 200)
        let post = client.respond("POST", client.path(.health), json: true)
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
        #expect(post.errorCode == "method_not_allowed")
    }

    @Test func everyFormRouteOfTheTableReachesItsHandler() throws {
        let client = try RouterClient()
        for route in EndpointRoute.allCases where route.acceptsForm {
            let response = client.respond("POST", client.path(route), form: ["lang": "it"], json: true)
            #expect(response.errorCode != "not_found", "\(route.rawValue) answered \(response.status) \(response.text)")
            #expect(response.status < 500, "\(route.rawValue) answered \(response.status)")
        }
        // A route that only shows on a GET, and an address naming no route, are not found to a form.
        #expect(client.respond("POST", client.path(.resumeHold), json: true).errorCode == "not_found")
        let unknown = client.respond("POST", client.application.layout.apiRoot + "/nothing", json: true)
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "not_found")
    }

    @Test func aGetOnAFormRouteIsRefusedWithAllowPost() throws {
        let client = try RouterClient()
        for route in EndpointRoute.allCases where !route.answersGET && route != .health {
            let response = client.respond("GET", client.path(route))
            #expect(response.status == 405, "\(route.rawValue)")
            #expect(response.header("Allow") == "POST", "\(route.rawValue)")
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        }
    }

    @Test func theGatewayReturnsShowWithoutTheFormChecks() throws {
        let client = try RouterClient()
        // No Origin check on a GET (a gateway's redirect carries none of the site's): not signed in, the
        // citizen's bookings ask for a sign-in; an unknown hold is not found, in the language of the query.
        let mine = client.respond("GET", client.path(.myBookings), headers: ["Origin": "https://gateway.example"])
        #expect(mine.status == 401)
        let hold = client.respond("GET", client.path(.resumeHold) + "?hold=unknown&lang=en", json: true)
        #expect(hold.status == 404)
        #expect(hold.errorCode == "hold_not_found")
        #expect(hold.text.contains("\"message\""))
    }

    @Test func aRefusedFormSaysWhyInTheVisitorsLanguage() throws {
        let client = try RouterClient()
        let foreign = client.respond(
            "POST", client.path(.holds), json: true,
            headers: ["Origin": "https://evil.example"])
        #expect(foreign.status == 403)
        #expect(foreign.errorCode == "bad_origin")
        let typed = client.respond("POST", client.path(.holds), json: true, headers: ["Content-Type": "text/plain"])
        #expect(typed.status == 400)
        #expect(typed.errorCode == "bad_form")
        let robot = client.respond("POST", client.path(.holds), form: ["website": "x", "lang": "en"])
        #expect(robot.status == 400)
        #expect(robot.text.contains("lang=\"en\""))
        #expect(robot.header("Cache-Control") == "no-store")
    }

    @Test func theAddressRateIsCountedBeforeAnythingElse() throws {
        // 20 a minute, in bursts of 10 (`Application.addressLimiter`).
        let client = try RouterClient { $0.booking.requestsPerMinutePerAddress = 20 }
        var statuses: [Int] = []
        for _ in 0..<10 { statuses.append(client.respond("POST", client.path(.holds), json: true).status) }
        let limited = client.respond("POST", client.path(.holds), json: true)
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "60")
        #expect(statuses.allSatisfy { $0 != 429 })
        // Another address is not held back by this one's requests.
        #expect(client.respond("POST", client.path(.holds), json: true, from: "192.0.2.99").status != 429)
    }

    @Test func onlyAConfirmationCompletesAdmittedWork() throws {
        let client = try RouterClient()
        let app = client.application
        #expect(app.completesAdmittedWork(method: "POST", path: client.path(.bookings)))
        for route in EndpointRoute.allCases where route != .bookings {
            #expect(!app.completesAdmittedWork(method: "POST", path: client.path(route)))
        }
        #expect(!app.completesAdmittedWork(method: "GET", path: client.path(.bookings)))
    }
}
