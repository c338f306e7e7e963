import SportelloCore

/// Everything a service page is made from besides the fingerprint of the program, configuration, templates and
/// texts (which give its facts, breadcrumb and links): the day it is rendered (its link to this week) and the
/// next free slot it shows; and everything the service's `next.json` lists (its free starts and the last day
/// looked at), which is written with it. Carried like `WeekInputs`' digest, so a full build does not render a
/// service page, nor serialise its `next.json`, while their inputs are unchanged.
struct ServicePageInputs {
    private let digest: [UInt8]

    init(
        fingerprint: [UInt8], service: Service, today: CivilDate, next: SlotAvailability?, free: [SlotAvailability],
        until: CivilDate
    ) {
        var bytes = fingerprint
        bytes.append(contentsOf: "\nservice \(service.id.utf8.count) \(service.id) \(today.dayNumber)".utf8)
        if let next {
            bytes.append(
                contentsOf:
                    " \(next.slot.startInstant) \(next.slot.endInstant) \(next.state.rawValue) \(next.freeDesks)".utf8)
        }
        bytes.append(contentsOf: "\nnext.json \(until.dayNumber) \(free.count)".utf8)
        for slot in free {
            bytes.append(
                contentsOf:
                    " \(slot.slot.startInstant) \(slot.slot.endInstant) \(slot.state.rawValue) \(slot.freeDesks)".utf8)
        }
        digest = SHA256.hash(bytes)
    }

    /// The comment line that names these inputs in the page of `language`.
    func marker(language: String) -> [UInt8] { WeekInputs.marker(digest: digest, language: language) }
}
