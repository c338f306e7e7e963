import SportelloCore
import SportelloSite
import SportelloStore

extension OperatorController {
    /// The agenda's note after a move: which booking, from when, to when.
    func movedFlash(_ moved: Booking, from previous: Booking, _ t: Translations) -> String {
        guard let service = site.catalogue.service(id: moved.slot.serviceID) else { return t.text("operator.saved") }
        return t.format(
            "move.agendaDone",
            [
                "code": moved.code, "from": bookedTime(previous, service: service, t),
                "to": bookedTime(moved, service: service, t),
            ])
    }
}
