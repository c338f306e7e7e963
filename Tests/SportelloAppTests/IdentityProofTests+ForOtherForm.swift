import Foundation
import SportelloCore
import Testing

@testable import SportelloApp

/// "Prenota per un'altra persona" refused the way every form is: the form again, the typed codice fiscale kept
/// and the field named in the summary with a link to it.
extension IdentityProofTests {
    /// Before: a wrong codice fiscale was the generic "Dati da correggere" page, the form and what was typed gone.
    @Test func aWrongBeneficiaryKeepsTheFormAndNamesTheField() throws {
        let site = try RunningSite(now: now, configure: { $0.identity = IdentityHeaders.testProxy })
        defer { site.stop() }
        #expect(try site.post("/api/accounts", anna).status == 202)
        let session = try signIn(site, "BNCLRA70A41H501B", try #require(try credentials(site).first?.password))
        let wrong = try site.post(
            "/api/beneficiary", ["service": "residenza", "beneficiary": "RSSMRA85T10A562X"], headers: session)
        #expect(wrong.status == 422)
        let body = wrong.body
        #expect(body.contains("<a href=\"#for-other-cf\">Codice fiscale della persona per cui prenoti: "))
        #expect(body.contains("codice fiscale non è corretto"))
        #expect(body.contains("value=\"RSSMRA85T10A562X\""))
        #expect(body.contains("aria-invalid=\"true\" aria-describedby=\"error-for-other-cf\""))
        #expect(body.contains("<input type=\"hidden\" name=\"service\" value=\"residenza\">"))
        #expect(body.contains("action=\"/api/beneficiary\""))
        // The service pages in output/ keep the empty form, no summary.
        let files = FileManager.default.enumerator(atPath: "\(site.folder)/output")?.compactMap { $0 as? String } ?? []
        let pages = files.filter { $0.hasSuffix(".html") && site.file($0).contains("id=\"error-for-other-cf\"") }
        #expect(pages.isEmpty)
        // JSON clients keep the codes per field.
        let json = try site.post(
            "/api/beneficiary", ["service": "residenza", "beneficiary": "RSSMRA85T10A562X"], json: true,
            headers: session)
        #expect(json.status == 422 && json.body.contains("\"beneficiary\""))
    }
}
