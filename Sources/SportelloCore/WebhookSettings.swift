/// A generic webhook (App Municipium-like and other integrations): each booking event POSTed as JSON, signed
/// with HMAC-SHA256 under a shared secret read from a file at each delivery.
public struct WebhookSettings: Sendable, Equatable {
    /// Where the events go (http or https).
    public var url: String
    /// The file holding the shared secret of the signature.
    public var secretFile: String
    /// Whether the event carries the person's name, codice fiscale and contacts (off: only the booking's facts).
    public var includePersonalData = false

    /// A webhook at `url` signed with the secret in `secretFile`, without personal data.
    public init(url: String, secretFile: String) {
        self.url = url
        self.secretFile = secretFile
    }
}
