import Foundation
import SportelloCore

/// Where each page lives, as a URL path and as a file under `output/`. Languages other than the main one
/// live under "/<lang>/". Week pages are files named by ISO week ("2026-W48.html") next to their service's
/// page, so addresses are stable and short and a full build creates one folder per service, not per week.
public struct SiteLayout: Sendable {
    /// Path prefix of the site on its host ("" at the root), put in front of every URL.
    public let basePath: String
    /// The language served at the root; the others live under "/<lang>/".
    public let mainLanguage: String

    /// A layout for a site under `basePath` whose root pages are in `mainLanguage`.
    public init(basePath: String, mainLanguage: String) {
        self.basePath = basePath
        self.mainLanguage = mainLanguage
    }

    func prefix(_ language: String) -> String { language == mainLanguage ? "" : "/\(language)" }

    /// Path of the page's folder relative to the output root ("" for the catalogue).
    public func folder(_ page: PageID, language: String) -> String {
        let root = language == mainLanguage ? "" : "\(language)/"
        switch page {
        case .catalogue: return root
        case .service(let id), .office(let id): return "\(root)servizi/\(id)/"
        case .week(let id, _): return "\(root)servizi/\(id)/"
        case .notFound: return root
        case .cancel: return "\(root)annulla/"
        case .operatorLogin: return "\(root)operatori/"
        case .account: return "\(root)accesso/"
        }
    }

    /// Path of the page's file relative to the output root.
    public func file(_ page: PageID, language: String) -> String {
        "\(folder(page, language: language))\(fileName(page))"
    }

    func fileName(_ page: PageID) -> String {
        switch page {
        case .notFound: return "404.html"
        case .week(_, let monday): return "\(Self.weekName(monday)).html"
        case .catalogue, .service, .office, .cancel, .operatorLogin, .account: return "index.html"
        }
    }

    /// Absolute URL path, as used in links ("/servizi/carta-identita/", "/servizi/carta-identita/2026-W48.html").
    public func url(_ page: PageID, language: String) -> String {
        let name = fileName(page)
        return "\(basePath)/\(folder(page, language: language))\(name == "index.html" ? "" : name)"
    }

    /// URL of a shared file (style sheet, script, icon) under "assets/", the same for every language.
    public func asset(_ name: String) -> String { "\(basePath)/assets/\(name)" }

    /// The availability data of a week, beside its page in the main language's folder
    /// ("servizi/carta-identita/2026-W48.json"): one file for every language, since it holds no text to translate.
    public func weekData(_ serviceID: String, monday: CivilDate) -> String {
        "\(folder(.service(serviceID), language: mainLanguage))\(Self.weekName(monday)).json"
    }

    /// A service's next free starts, beside its page ("servizi/carta-identita/next.json").
    public func nextData(_ serviceID: String) -> String {
        "\(folder(.service(serviceID), language: mainLanguage))\(Self.nextDataName)"
    }

    /// The file name of a service's next free starts.
    public static let nextDataName = "next.json"

    /// The absolute URL path of a data file given as `weekData` or `nextData` returns it.
    public func url(dataFile relative: String) -> String { "\(basePath)/\(relative)" }

    /// The Monday of a week data file's name ("2026-W48.json"), nil for any other name.
    public static func monday(weekDataName name: String) -> CivilDate? {
        guard name.hasSuffix(".json") else { return nil }
        return monday(weekName: String(name.dropLast(5)))
    }

    /// The endpoint's root ("/api" below the base path): every `EndpointRoute` lives under it.
    public var apiRoot: String { "\(basePath)/api" }

    /// The path of an endpoint route, as forms post to it ("/api/holds").
    public func api(_ route: EndpointRoute) -> String { "\(apiRoot)/\(route.rawValue)" }

    /// The folder of the office's routes ("/api/operator"), the path their sign-in cookie is limited to.
    public var operatorAPIRoot: String { "\(apiRoot)/\(EndpointRoute.operatorScope)" }

    /// The route a request path names: nil outside the endpoint, or for a path that names no route.
    public func route(ofPath path: String) -> EndpointRoute? {
        let prefix = apiRoot + "/"
        guard path.hasPrefix(prefix) else { return nil }
        return EndpointRoute(rawValue: String(path.dropFirst(prefix.count)))
    }

    /// The ISO week name of the week starting on `monday` ("2026-W48"), which names its page.
    public static func weekName(_ monday: CivilDate) -> String {
        let week = monday.isoWeek
        return "\(week.year)-W\(week.week < 10 ? "0" : "")\(week.week)"
    }

    /// The Monday of a week page's file name ("2026-W48.html"), nil for any other name.
    public static func monday(weekFileName name: String) -> CivilDate? {
        guard name.hasSuffix(".html") else { return nil }
        return monday(weekName: String(name.dropLast(5)))
    }

    /// The Monday of an ISO week name, for routing a request back to its page.
    public static func monday(weekName: String) -> CivilDate? {
        guard let (year, week) = canonicalWeek(weekName) ?? splitWeek(weekName), (1...53).contains(week),
            let january4 = CivilDate(year: year, month: 1, day: 4)
        else { return nil }
        let monday = january4.mondayOfWeek.adding(days: (week - 1) * 7)
        return monday.isoWeek.year == year ? monday : nil
    }

    /// Year and week of a name shaped as the site writes them ("2026-W05"), read byte by byte: a full build
    /// looks at every file of every service folder, and splitting strings there was a tenth of a warm build.
    private static func canonicalWeek(_ name: String) -> (Int, Int)? {
        name.utf8.withContiguousStorageIfAvailable { bytes -> (Int, Int)? in
            guard bytes.count == 8, bytes[4] == UInt8(ascii: "-"), bytes[5] == UInt8(ascii: "W") else { return nil }
            var number = 0
            for index in 0..<8 where index != 4 && index != 5 {
                let digit = Int(bytes[index]) - Int(UInt8(ascii: "0"))
                guard (0...9).contains(digit) else { return nil }
                number = number * 10 + digit
            }
            return (number / 100, number % 100)
        } ?? nil
    }

    /// Any other name that splits into a year and a week around "-W".
    private static func splitWeek(_ name: String) -> (Int, Int)? {
        // A dot (a file name's extension) makes one part no number, whatever the rest.
        guard !name.utf8.contains(UInt8(ascii: ".")) else { return nil }
        let parts = name.split(separator: "-W")
        guard parts.count == 2, let year = Int(parts[0]), let week = Int(parts[1]) else { return nil }
        return (year, week)
    }
}
