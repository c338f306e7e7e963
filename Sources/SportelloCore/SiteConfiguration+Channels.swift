import Foundation

/// `notifications.io` and `notifications.webhook`. Secrets stay in files (read at each delivery, so a rotated
/// key needs no restart); the configuration only names them.
extension SiteConfiguration {
    static func readIO(
        _ node: ConfigNode, services: [ServiceDefinition]
    ) throws(ConfigurationError) -> IOChannelSettings {
        let object = try node.object(allowedKeys: ["baseURL", "apiKeyFile", "services"])
        var settings = IOChannelSettings()
        if let value = object.optional("baseURL") {
            settings.baseURL = try httpURL(value)
            while settings.baseURL.hasSuffix("/") { settings.baseURL.removeLast() }
        }
        if let value = object.optional("apiKeyFile") { settings.apiKeyFile = try value.string() }
        if let value = object.optional("services") {
            guard case .object(let fields) = value.value else {
                throw value.fail("expected an object of service ids, e.g. {\"carta-identita\": {\"apiKeyFile\": …}}")
            }
            let known = Set(Self.serviceIDs(services))
            for id in fields.keys.sorted() {
                let entry = value.child(id, in: fields)
                guard known.contains(id) else { throw entry.fail("no service has this id") }
                let service = try entry.object(allowedKeys: ["apiKeyFile"])
                settings.serviceKeyFiles[id] = try service["apiKeyFile"].string()
            }
        }
        if settings.apiKeyFile == nil && settings.serviceKeyFiles.isEmpty {
            throw node.fail(
                "App IO needs the file of an IO service key: \"apiKeyFile\" for the comune, or \"services\" with "
                    + "an \"apiKeyFile\" per service")
        }
        return settings
    }

    static func readWebhook(_ node: ConfigNode) throws(ConfigurationError) -> WebhookSettings {
        let object = try node.object(allowedKeys: ["url", "secretFile", "includePersonalData"])
        var settings = WebhookSettings(url: try httpURL(object["url"]), secretFile: try object["secretFile"].string())
        if let value = object.optional("includePersonalData") { settings.includePersonalData = try value.bool() }
        return settings
    }

    /// An http or https address with a host.
    private static func httpURL(_ node: ConfigNode) throws(ConfigurationError) -> String {
        let text = try node.string()
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            url.host?.isEmpty == false
        else { throw node.fail("\"\(text)\" is not an http(s) address") }
        return text
    }

    /// Every id in the tree, offices and services.
    private static func serviceIDs(_ definitions: [ServiceDefinition]) -> [String] {
        definitions.flatMap { [$0.id] + serviceIDs($0.children) }
    }
}
