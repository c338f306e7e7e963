/// App IO (the public IO services API of PagoPA) as a notification channel: where the API is and which API
/// key (the IO service's subscription key, read from a secret file at each delivery) each service sends with.
public struct IOChannelSettings: Sendable, Equatable {
    /// The API's root, without a trailing slash.
    public var baseURL = "https://api.io.pagopa.it/api/v1"
    /// The comune's IO service key file; nil = only the services listed in `serviceKeyFiles` send on IO.
    public var apiKeyFile: String?
    /// A service's own IO service (its own key file), by service id; applies to that service only.
    public var serviceKeyFiles: [String: String] = [:]

    /// No key: set `apiKeyFile` or `serviceKeyFiles`.
    public init() {}

    /// The key file a booking of `serviceID` sends with, or nil when that service does not send on IO.
    public func keyFile(forService serviceID: String) -> String? {
        serviceKeyFiles[serviceID] ?? apiKeyFile
    }
}
