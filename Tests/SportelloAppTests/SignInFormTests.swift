import Foundation
import SportelloCore
import SportelloHTTP
import Testing

@testable import SportelloApp

/// The citizens' and the operators' sign-in forms refused the way every other form is: the form again, what was
/// typed kept (never a password or a token), the summary naming the field to fix with a link to it.
@Suite struct SignInFormTests {
    let now = rome("2026-11-25", "08:00")

    /// Before: wrong credentials were a bare "Credenziali non valide" page, the sign-in form and the typed
    /// codice fiscale gone.
    @Test func wrongCredentialsKeepTheCodiceFiscaleAndNameThePassword() throws {
        let client = try RouterClient(now: now)
        let refused = client.respond(
            "POST", client.path(.login), form: ["codice_fiscale": "rssmra85t10a562s", "password": "sbagliata-123"])
        #expect(refused.status == 401)
        let body = refused.text
        #expect(body.contains("<h2 id=\"login-title\">"))
        #expect(body.contains("<a href=\"#login-password\">Password: Credenziali non valide, codice fiscale o"))
        #expect(body.contains("id=\"login-cf\" name=\"codice_fiscale\" type=\"text\" value=\"RSSMRA85T10A562S\""))
        #expect(body.contains("aria-invalid=\"true\" aria-describedby=\"error-login-password hint-password\""))
        #expect(body.contains("<span class=\"field-error\" id=\"error-login-password\">"))
        #expect(!body.contains("sbagliata-123"))
        // Only the password is marked; the registration form below is untouched.
        #expect(body.components(separatedBy: "aria-invalid=\"true\"").count == 2)
        #expect(body.components(separatedBy: "class=\"error-summary\"").count == 2)
        #expect(refused.header("Set-Cookie")?.contains("sportello_session") != true)
        // JSON clients keep the plain refusal.
        let json = client.respond(
            "POST", client.path(.login), form: ["codice_fiscale": "RSSMRA85T10A562S", "password": "x"], json: true)
        #expect(json.status == 401 && json.errorCode == "wrong_credentials")
    }

    @Test func emptySignInFieldsAreEachNamed() throws {
        let client = try RouterClient(now: now)
        let body = client.respond("POST", client.path(.login), form: [:]).text
        let cf = try #require(body.range(of: "<a href=\"#login-cf\">Codice fiscale: Questo campo è obbligatorio.</a>"))
        let password = try #require(
            body.range(of: "<a href=\"#login-password\">Password: Questo campo è obbligatorio.</a>"))
        #expect(cf.lowerBound < password.lowerBound)
        #expect(body.contains("aria-invalid=\"true\" aria-describedby=\"error-login-cf\""))
    }

    /// Before: a wrong operator code was the "Accesso necessario" page, with no form to try again.
    @Test func aWrongOperatorCodeIsNamedOnTheSignInForm() throws {
        let client = try RouterClient(now: now)
        let wrong = "op1-00000000000000000000000000000000"
        let refused = client.respond("POST", client.path(.operatorLogin), form: ["token": wrong])
        #expect(refused.status == 401)
        let body = refused.text
        #expect(body.contains("<a href=\"#field-token\">Codice operatore: Il codice operatore non è stato"))
        #expect(body.contains("id=\"field-token\" name=\"token\" type=\"password\""))
        #expect(body.contains("aria-invalid=\"true\" aria-describedby=\"error-token\""))
        #expect(body.contains("action=\"\(client.path(.operatorLogin))\""))
        #expect(!body.contains(wrong))
        #expect(refused.header("Set-Cookie")?.contains("sportello_operator") != true)
        let empty = client.respond("POST", client.path(.operatorLogin), form: [:]).text
        #expect(empty.contains("<a href=\"#field-token\">Codice operatore: Questo campo è obbligatorio.</a>"))
        // Scripts and other operator pages keep their answer.
        let json = client.respond("POST", client.path(.operatorLogin), form: ["token": wrong], json: true)
        #expect(json.status == 401 && json.errorCode == "unauthorized")
        let agenda = client.respond("POST", client.path(.operatorAgenda), form: ["token": wrong])
        #expect(agenda.status == 401 && agenda.text.contains("Accesso necessario"))
        // The published sign-in page has the form and no summary.
        var page: [UInt8] = []
        try client.application.site.renderer.renderOperatorLogin(language: "it", into: &page)
        #expect(!String(decoding: page, as: UTF8.self).contains("error-summary"))
    }
}
