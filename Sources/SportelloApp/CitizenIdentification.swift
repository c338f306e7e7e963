import Foundation
import SportelloCore
import SportelloHTTP
import SportelloStore

/// Who is signed in on a request: a certified identity from the comune's SPID/CIE proxy, or a local account's
/// session. The `identity` request step; also used where the identity gateway sends a citizen back.
struct CitizenIdentification: Sendable {
    let configuration: SiteConfiguration
    let accounts: AccountStore
    let clock: @Sendable () -> Int64

    /// The signed-in citizen: identity headers count only when they come from a trusted proxy with the secret
    /// it shares with Sportello; otherwise the session cookie decides. A header sent by anyone else is ignored.
    /// A database failure is thrown, not taken for "signed out".
    func identify(_ request: HTTPRequest) throws(DatabaseError) -> Citizen? {
        if let headers = configuration.identity, configuration.booking.isTrustedProxy(request.remoteAddress),
            Self.carriesProxySecret(request, headers),
            var fiscal = request.headers[headers.codiceFiscale]?.trimmingCharacters(in: .whitespaces), !fiscal.isEmpty
        {
            // SPID passes "TINIT-<codice fiscale>".
            if fiscal.uppercased().hasPrefix("TINIT-") { fiscal = String(fiscal.dropFirst(6)) }
            guard let codiceFiscale = try? FieldValidator.codiceFiscale(fiscal).value,
                let given = try? FieldValidator.personName(request.headers[headers.givenName] ?? "", field: "nome"),
                let family = try? FieldValidator.personName(request.headers[headers.familyName] ?? "", field: "cognome")
            else { return nil }
            let email = headers.email.flatMap { request.headers[$0] }.flatMap { try? FieldValidator.email($0) } ?? ""
            let phone = headers.phone.flatMap { request.headers[$0] }.flatMap { try? FieldValidator.phone($0) } ?? ""
            return Citizen(
                codiceFiscale: codiceFiscale, givenName: given, familyName: family, email: email, phone: phone,
                certified: true)
        }
        guard localAccountsAllowed, let token = request.cookies[AccountsController.sessionCookie],
            let account = try accounts.account(session: token, now: clock())
        else {
            return nil
        }
        return Citizen(account: account)
    }

    /// Sportello's own credentials, unless the comune has SPID/CIE and turned them off.
    var localAccountsAllowed: Bool { configuration.identity?.localAccounts ?? true }

    /// A certified sign-in for a codice fiscale with a local account takes the account over (see
    /// `AccountStore.takeOver`): whoever registered it, the certified person is its holder.
    func takeOverLocalAccount(of citizen: Citizen?, _ context: RequestContext) {
        guard let citizen, citizen.certified else { return }
        // The certified person is served either way; a take-over the database failed is logged (and tried again
        // at their next request), since the local account still works meanwhile.
        do {
            try accounts.takeOver(codiceFiscale: citizen.codiceFiscale, now: clock(), address: context.clientAddress)
        } catch {
            Log.error("account_takeover_failed", ["error": .text("\(error)")])
        }
    }

    /// Whether the request carries the identity proxy's secret (compared in constant time).
    static func carriesProxySecret(_ request: HTTPRequest, _ headers: IdentityHeaders) -> Bool {
        guard !headers.proxySecret.isEmpty, let given = request.headers[headers.proxySecretHeader] else { return false }
        return Tokens.constantTimeEqual(Array(given.utf8), Array(headers.proxySecret.utf8))
    }
}
