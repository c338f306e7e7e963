import Foundation

/// Reading a service's `extraFields` (see `ExtraField`): strict and bounded, every mistake named with its path.
extension SiteConfiguration {
    private static let extraFieldKeys: Set<String> = [
        "id", "label", "type", "required", "maxLength", "choices", "min", "max",
    ]

    /// The most choices one choice field may offer.
    static let maximumChoices = 30

    static func readExtraFields(_ node: ConfigNode, languages: [String]) throws(ConfigurationError) -> [ExtraField] {
        let items = try node.array()
        if items.count > ExtraField.maximumFields {
            throw node.fail("\(items.count) fields are more than the \(ExtraField.maximumFields) allowed")
        }
        var fields: [ExtraField] = []
        for item in items {
            let object = try item.object(allowedKeys: extraFieldKeys)
            let id = try object["id"].string()
            guard ExtraField.isValidID(id) else {
                throw object["id"].fail(
                    "\"\(id)\" is not a field id: 1 to 32 of a-z, 0-9 and \"-\" (such as \"targa\")")
            }
            if fields.contains(where: { $0.id == id }) { throw object["id"].fail("\"\(id)\" is declared twice") }
            let typeName = try object["type"].string()
            guard let kind = ExtraField.Kind(rawValue: typeName) else {
                throw object["type"].fail(
                    "\"\(typeName)\" is not a field type; expected one of: "
                        + ExtraField.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let labels = try readLabels(object["label"], languages: languages)
            func only(_ key: String, for kinds: [ExtraField.Kind]) throws(ConfigurationError) {
                if object.has(key) && !kinds.contains(kind) {
                    throw object[key].fail(
                        "only a field of type \(kinds.map(\.rawValue).joined(separator: " or ")) "
                            + "takes \"\(key)\"")
                }
            }
            try only("maxLength", for: [.text])
            try only("choices", for: [.choice])
            try only("min", for: [.number])
            try only("max", for: [.number])
            let minimum =
                try object.optional("min")?.int(in: ExtraField.numberBounds)
                ?? ExtraField.numberBounds.lowerBound
            let maximum =
                try object.optional("max")?.int(in: ExtraField.numberBounds)
                ?? ExtraField.numberBounds.upperBound
            if minimum > maximum { throw object["max"].fail("must not be less than \"min\" (\(minimum))") }
            var choices: [String] = []
            if kind == .choice {
                let nodes = try object["choices"].array()
                guard (1...maximumChoices).contains(nodes.count) else {
                    throw object["choices"].fail("list 1 to \(maximumChoices) choices")
                }
                for choiceNode in nodes {
                    let choice = try choiceNode.string()
                    guard choice.count <= 100, TextNormalizer.normalize(choice) == choice else {
                        throw choiceNode.fail("a choice is one line of at most 100 characters")
                    }
                    if choices.contains(choice) { throw choiceNode.fail("\"\(choice)\" is listed twice") }
                    choices.append(choice)
                }
            }
            fields.append(
                ExtraField(
                    id: id, labels: labels, kind: kind, required: try object.optional("required")?.bool() ?? false,
                    maxLength: try object.optional("maxLength")?.int(in: 1...ExtraField.longestText)
                        ?? ExtraField.defaultMaxLength,
                    minimum: minimum, maximum: maximum, choices: choices))
        }
        return fields
    }

    /// `{"it": "Targa del veicolo", "en": "Vehicle plate"}`: the main language required, only the site's
    /// languages, each one short line.
    private static func readLabels(
        _ node: ConfigNode, languages: [String]
    ) throws(ConfigurationError) -> [String: String] {
        let object = try node.object(allowedKeys: Set(languages))
        var labels: [String: String] = [:]
        for language in languages {
            guard let labelNode = object.optional(language) else {
                if language == languages.first {
                    throw node.fail("give the label in \"\(language)\", the site's main language")
                }
                continue
            }
            let label = try labelNode.string()
            guard label.count <= 100,
                !label.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { throw labelNode.fail("a label is one line of at most 100 characters") }
            labels[language] = label
        }
        return labels
    }
}
