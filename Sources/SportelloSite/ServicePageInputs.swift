import SportelloCore

/// Everything a service page is made from besides the fingerprint of the program, configuration, templates and
/// texts (which give its facts, breadcrumb and links): the day it is rendered (its link to this week) and the
/// next free slot it shows. Carried like `WeekInputs`' digest, so a full build does not render a service page
/// whose inputs are unchanged.
struct ServicePageInputs {
    private let digest: [UInt8]

    init(fingerprint: [UInt8], service: Service, today: CivilDate, next: SlotAvailability?) {
        var bytes = fingerprint
        bytes.append(contentsOf: "\nservice \(service.id.utf8.count) \(service.id) \(today.dayNumber)".utf8)
        if let next {
            bytes.append(
                contentsOf:
                    " \(next.slot.startInstant) \(next.slot.endInstant) \(next.state.rawValue) \(next.freeDesks)".utf8)
        }
        digest = SHA256.hash(bytes)
    }

    /// The comment line that names these inputs in the page of `language`.
    func marker(language: String) -> [UInt8] { WeekInputs.marker(digest: digest, language: language) }
}
