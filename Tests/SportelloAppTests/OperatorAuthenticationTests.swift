import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import Testing

@testable import SportelloApp

/// The operator-token step (`OperatorController.authenticate`) on request values, and through the router.
@Suite struct OperatorAuthenticationTests {
    func signedIn(_ result: OperatorController.Authentication) -> (name: String, signingIn: Bool)? {
        if case .signedIn(let account, let signingIn) = result { return (account.name, signingIn) }
        return nil
    }

    func refusal(_ result: OperatorController.Authentication) -> RequestRefusal? {
        if case .refused(let refusal) = result { return refusal }
        return nil
    }

    @Test func aScriptsBearerTokenAFormsTokenOrABrowsersSessionSignsIn() throws {
        let client = try RouterClient()
        let desk = client.application.operatorDesk
        let operators = client.application.operators
        let (account, token) = try operators.create(name: "anna", scope: ["*"], now: client.clock.read())
        func authenticate(
            _ headers: [String: String], _ action: EndpointRoute = .operatorAgenda,
            fields: FormFields = FormFields()
        ) -> OperatorController.Authentication {
            let request = client.request("POST", client.path(action), headers: headers)
            return desk.authenticate(request, action: action, fields: fields, clientKey: "a")
        }
        #expect(signedIn(authenticate(["Authorization": "Bearer \(token)"]))?.name == "anna")
        #expect(signedIn(authenticate(["Authorization": "Bearer \(token)"], .operatorLogin))?.signingIn == false)
        // The token typed on the sign-in form signs a browser in (it then gets a session cookie).
        #expect(signedIn(authenticate([:], .operatorLogin, fields: FormFields([("token", token)])))?.signingIn == true)
        let session = try operators.startSession(for: account, now: client.clock.read())
        #expect(signedIn(authenticate(["Cookie": "sportello_operator=\(session)"]))?.name == "anna")
        // Nothing, or a session that is not one: unauthorized.
        #expect(refusal(authenticate([:]))?.error == .unauthorized)
        #expect(refusal(authenticate(["Cookie": "sportello_operator=forged"]))?.error == .unauthorized)
    }

    @Test func wrongTokensAreLimitedPerClientBeforeAnyMoreHashing() throws {
        let client = try RouterClient()
        let desk = client.application.operatorDesk
        let (_, token) = try client.application.operators.create(name: "anna", scope: ["*"], now: client.clock.read())
        let request = client.request("POST", client.path(.operatorAgenda))
        func authenticate(_ token: String, from client: String) -> OperatorController.Authentication {
            let fields = FormFields([("token", token)])
            return desk.authenticate(request, action: .operatorAgenda, fields: fields, clientKey: client)
        }
        for _ in 0..<10 { #expect(refusal(authenticate("wrong", from: "b"))?.error == .unauthorized) }
        let limited = refusal(authenticate(token, from: "b"))
        #expect(limited?.error == .rateLimited)
        #expect(limited?.headers.first { $0.0 == "Retry-After" }?.1 == "60")
        // Another client is not held back.
        #expect(signedIn(authenticate(token, from: "c"))?.name == "anna")
    }

    @Test func theRouterAnswersTheOfficeOnlyWithAToken() throws {
        let client = try RouterClient()
        let (_, token) = try client.application.operators.create(name: "anna", scope: ["*"], now: client.clock.read())
        let agenda = client.respond(
            "POST", client.path(.operatorAgenda), json: true,
            headers: ["Authorization": "Bearer \(token)"])
        #expect(agenda.status == 200)
        #expect(agenda.text.contains("\"bookings\""))
        let refused = client.respond(
            "POST", client.path(.operatorAgenda), json: true,
            headers: ["Authorization": "Bearer nope"])
        #expect(refused.status == 401)
        #expect(refused.errorCode == "unauthorized")
        // Signing in on the form sets the session cookie, limited to the office's routes.
        let login = client.respond("POST", client.path(.operatorLogin), form: ["token": token])
        #expect(login.status == 200)
        #expect(login.header("Set-Cookie")?.contains("Path=\(client.application.layout.operatorAPIRoot);") == true)
    }
}
