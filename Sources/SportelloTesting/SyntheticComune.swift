import Foundation
import SportelloCore

/// A large made-up comune for benchmarks: `services` bookable services in offices of ten, each with a
/// realistic week (mornings, two afternoons, a pause) and two languages. With `desks`, each office declares a
/// desk for every place of its services and each service books its own desks (same places, same grid) through
/// the desk interval check: the benches compare the two write paths.
public enum SyntheticComune {
    /// The parsed configuration of `services` services in offices of ten, published for `weeks` weeks in `languages`.
    public static func configuration(
        services: Int, weeks: Int = 13, languages: [String] = ["it"], desks: Bool = false
    ) throws -> SiteConfiguration {
        try SiteConfiguration.parse(json(services: services, weeks: weeks, languages: languages, desks: desks))
    }

    /// The configuration file of `configuration(services:weeks:languages:)`, for a `sportello` process.
    public static func json(
        services: Int, weeks: Int = 13, languages: [String] = ["it"], desks: Bool = false
    ) throws -> Data {
        var offices: [[String: Any]] = []
        var made = 0
        var officeIndex = 0
        while made < services {
            var children: [[String: Any]] = []
            var officeDesks: [String] = []
            for _ in 0..<min(10, services - made) {
                made += 1
                var child: [String: Any] = [
                    "id": "servizio-\(made)",
                    "name": "Servizio numero \(made) – pratiche & certificati",
                    "description":
                        "Descrizione del servizio \(made): cosa si può fare allo sportello, "
                        + "chi può chiedere l'appuntamento e quanto dura.",
                    "documents": ["Documento d'identità valido", "Codice fiscale", "Modulo di domanda compilato"],
                    "slotMinutes": [15, 20, 30][made % 3],
                ]
                if desks {
                    let own = (1...(1 + made % 3)).map { "Sportello \(made).\($0)" }
                    officeDesks += own
                    child["desks"] = own
                } else {
                    child["capacity"] = 1 + made % 3
                }
                children.append(child)
            }
            officeIndex += 1
            var office: [String: Any] = [
                "id": "ufficio-\(officeIndex)",
                "name": "Ufficio \(officeIndex)",
                "address": "Via del Municipio \(officeIndex), 00100 Città",
                "coordinates": ["lat": 43.9, "lon": 10.2],
                "phone": "0584 000 \(100 + officeIndex)",
                "email": "ufficio\(officeIndex)@comune.example.it",
                "schedule": [
                    "mon": ["08:30-12:30"], "tue": ["08:30-12:30", "14:30-17:30"], "wed": ["08:30-12:30"],
                    "thu": ["08:30-12:30", "14:30-17:30"], "fri": ["08:30-12:30"],
                ],
                "pauses": ["10:30-10:45"],
                "window": ["minimumNoticeMinutes": 60, "maxDaysAhead": weeks * 7],
                "children": children,
            ]
            if desks { office["desks"] = officeDesks }
            offices.append(office)
        }
        let root: [String: Any] = [
            "comune": [
                "name": "Comune Sintetico", "baseURL": "http://127.0.0.1:8080", "languages": languages,
                "tollFreeNumber": "800 000 000", "email": "urp@comune.example.it",
            ],
            "booking": ["weeksPublished": weeks],
            "services": offices,
        ]
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
    }
}

extension SyntheticComune {
    /// The morning a batch of identity-card slots opens: one service whose only bookable days are `days`, with
    /// `places` places in all (ten desks, ten-minute slots, one after the other from 08:00 until 20:00, then on
    /// the next of `days`), and nothing else to book. `places` is rounded up to a multiple of ten; `days` must be
    /// working days in increasing order, within the coming five weeks, as many as `daysNeeded(places:)`.
    public static let rushDesks = 10
    /// Ten-minute slots from 08:00 to 20:00.
    public static let rushSlotsPerDay = 72

    /// The working days `rushConfiguration` needs for `places` places.
    public static func daysNeeded(places: Int) -> Int {
        let slots = max(1, (places + rushDesks - 1) / rushDesks)
        return (slots + rushSlotsPerDay - 1) / rushSlotsPerDay
    }

    /// The identity-card rush: `places` places on `days`, nothing else to book; throws when `days` are too few.
    public static func rushConfiguration(places: Int, days: [CivilDate], today: CivilDate) throws -> SiteConfiguration {
        guard let lastDay = days.last, days.count >= daysNeeded(places: places) else {
            throw ConfigurationError(
                path: "", message: "rush: \(places) places need \(daysNeeded(places: places)) working days")
        }
        let desks = rushDesks
        let slots = max(1, (places + desks - 1) / desks)
        // A day's last hours: full days until the last one, which ends where the places run out.
        let end = 8 * 60 + min(rushSlotsPerDay, slots - (days.count - 1) * rushSlotsPerDay) * 10
        var schedule: [String: [String]] = [:]
        for day in days { schedule[day.weekday.rawValue] = ["08:00-20:00"] }
        if days.count == 1 || !days.dropLast().contains(where: { $0.weekday == lastDay.weekday }) {
            schedule[lastDay.weekday.rawValue] = [String(format: "08:00-%02d:%02d", end / 60, end % 60)]
        }
        let office: [String: Any] = [
            "id": "anagrafe",
            "name": "Anagrafe",
            "address": "Piazza del Municipio 1, 00100 Città",
            "coordinates": ["lat": 43.9, "lon": 10.2],
            "schedule": schedule,
            "window": ["minimumNoticeMinutes": 0, "maxDaysAhead": lastDay.dayNumber - today.dayNumber],
            "children": [
                [
                    "id": "carta-identita",
                    "name": "Carta d'identità elettronica",
                    "description": "Richiesta o rinnovo della carta d'identità elettronica.",
                    "documents": ["Documento d'identità scaduto o denuncia di smarrimento", "Una fototessera recente"],
                    "slotMinutes": 10,
                    "capacity": desks,
                ]
            ],
        ]
        let root: [String: Any] = [
            "comune": [
                "name": "Comune Sintetico", "baseURL": "http://127.0.0.1:8080", "languages": ["it"],
                "tollFreeNumber": "800 000 000", "email": "urp@comune.example.it",
            ],
            "booking": ["weeksPublished": 2],
            "services": [office],
        ]
        return try SiteConfiguration.parse(JSONSerialization.data(withJSONObject: root))
    }
}
