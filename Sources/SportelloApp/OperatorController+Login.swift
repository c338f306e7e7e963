import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite

/// A refused operators' sign-in told on the sign-in form itself, the token field named in the error summary
/// (docs/ARCHITECTURE.md §5), rather than a bare "Accesso necessario" page without the form.
extension OperatorController {
    /// The sign-in page again, 401, with what to do about the token field: type it, or check it. The token is
    /// never written back into the page.
    func loginRefused(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        answers.metrics.countRefusal(EndpointError.unauthorized.rawValue)
        let t = site.renderer.texts(context.language)
        let typed = (fields["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let message = typed.isEmpty ? FieldErrorSummary.message("required", t) : t.text("loginForm.wrongToken")
        return page(
            "operator-login", status: EndpointError.unauthorized.status, title: t.text("operator.loginTitle"),
            context: context,
            values: site.renderer.operatorLoginValues(language: context.language, tokenMessage: message),
            pageID: .operatorLogin)
    }
}
