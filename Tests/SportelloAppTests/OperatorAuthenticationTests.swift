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
        let (account, token) = try client.application.operators.create(name: "anna", scope: ["*"], now: client.clock.read())
        let bearer = client.request("POST", client.path(.operatorAgenda), headers: ["Authorization": "Bearer \(token)"])
        #expect(signedIn(desk.authenticate(bearer, action: .operatorAgenda, fields: FormFields(), clientKey: "a"))?.name == "anna")
        #expect(signedIn(desk.authenticate(bearer, action: .operatorLogin, fields: FormFields(), clientKey: "a"))?.signingIn == false)
        // The token typed on the sign-in form signs a browser in (it then gets a session cookie).
        let form = client.request("POST", client.path(.operatorLogin))
        let typed = desk.authenticate(form, action: .operatorLogin, fields: FormFields([("token", token)]), clientKey: "a")
        #expect(signedIn(typed)?.signingIn == true)
        let session = try client.application.operators.startSession(for: account, now: client.clock.read())
        let browser = client.request("POST", client.path(.operatorAgenda), headers: ["Cookie": "sportello_operator=\(session)"])
        #expect(signedIn(desk.authenticate(browser, action: .operatorAgenda, fields: FormFields(), clientKey: "a"))?.name == "anna")
        // Nothing, or a session that is not one: unauthorized.
        let nobody = client.request("POST", client.path(.operatorAgenda), headers: ["Cookie": "sportello_operator=forged"])
        #expect(refusal(desk.authenticate(nobody, action: .operatorAgenda, fields: FormFields(), clientKey: "a"))?.error == .unauthorized)
    }

    @Test func wrongTokensAreLimitedPerClientBeforeAnyMoreHashing() throws {
        let client = try RouterClient()
        let desk = client.application.operatorDesk
        let (_, token) = try client.application.operators.create(name: "anna", scope: ["*"], now: client.clock.read())
        let request = client.request("POST", client.path(.operatorAgenda))
        for _ in 0..<10 {
            let wrong = desk.authenticate(request, action: .operatorAgenda, fields: FormFields([("token", "wrong")]), clientKey: "b")
            #expect(refusal(wrong)?.error == .unauthorized)
        }
        let limited = refusal(desk.authenticate(request, action: .operatorAgenda, fields: FormFields([("token", token)]), clientKey: "b"))
        #expect(limited?.error == .rateLimited)
        #expect(limited?.headers.first { $0.0 == "Retry-After" }?.1 == "60")
        // Another client is not held back.
        let other = desk.authenticate(request, action: .operatorAgenda, fields: FormFields([("token", token)]), clientKey: "c")
        #expect(signedIn(other)?.name == "anna")
    }

    @Test func theRouterAnswersTheOfficeOnlyWithAToken() throws {
        let client = try RouterClient()
        let (_, token) = try client.application.operators.create(name: "anna", scope: ["*"], now: client.clock.read())
        let agenda = client.respond("POST", client.path(.operatorAgenda), json: true, headers: ["Authorization": "Bearer \(token)"])
        #expect(agenda.status == 200)
        #expect(agenda.text.contains("\"bookings\""))
        let refused = client.respond("POST", client.path(.operatorAgenda), json: true, headers: ["Authorization": "Bearer nope"])
        #expect(refused.status == 401)
        #expect(refused.errorCode == "unauthorized")
        // Signing in on the form sets the session cookie, limited to the office's routes.
        let login = client.respond("POST", client.path(.operatorLogin), form: ["token": token])
        #expect(login.status == 200)
        #expect(login.header("Set-Cookie")?.contains("Path=\(client.application.layout.operatorAPIRoot);") == true)
    }
}
