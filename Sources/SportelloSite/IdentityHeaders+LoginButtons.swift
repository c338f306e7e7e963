import Foundation
import SportelloCore

extension IdentityHeaders {
    /// The "Entra con SPID" / "Entra con CIE" buttons' values: each configured gateway address with the path to
    /// come back to, or nil when the comune configured none. A gateway on another host gets the whole address
    /// (`origin` + path): a bare path would bring the citizen back to the gateway's own host.
    public func loginButtons(returnPath: String, origin: String) -> TemplateValue? {
        func address(_ url: String?) -> TemplateValue {
            guard let url else { return "" }
            let target = url.hasPrefix("/") ? returnPath : origin + returnPath
            let encoded =
                target.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
            if url.contains("{return}") { return .string(url.replacingOccurrences(of: "{return}", with: encoded)) }
            return .string(url + (url.contains("?") ? "&" : "?") + "return=" + encoded)
        }
        guard spidLoginURL != nil || cieLoginURL != nil else { return nil }
        return .object(["spid": address(spidLoginURL), "cie": address(cieLoginURL)])
    }
}
