import SportelloCore
import SportelloHTTP
import SportelloStore
import Synchronization

/// Redirect-after-POST for every page the endpoint shows (docs/ARCHITECTURE.md, "Back and forward"): the page a
/// POST rendered is kept here, in memory, and the POST answers `303 See Other` to `GET /api/page?p=<id>`, which
/// shows it again as often as the browser asks (Back, Forward, reload) without sending the form again.
///
/// A page is found only with both halves: the id in the address names the page, the browser's own cookie
/// (`sportello_pages`, HttpOnly, sent only below `/api/`) names its owner. Neither carries personal data, and
/// the address alone shows nothing. Pages live minutes, a browser keeps its latest few, and the whole store is
/// bounded in bytes, oldest out first; a restart forgets them all (the page then says how to go on).
public final class PageSnapshots: Sendable {
    /// One page as the POST answered it, less its cookies (those went out with the redirect).
    struct Page: Sendable {
        let id: String
        let owner: String
        let status: Int
        let headers: [(String, String)]
        let body: [UInt8]
        let storedAt: Int64
    }

    /// The cookie naming the browser the pages belong to.
    public static let cookieName = "sportello_pages"
    /// How long a page can be shown again: the longest form a person fills in, with time to spare.
    static let lifetime: Int64 = 30 * 60
    /// The pages one browser keeps (its newest): far more than Back ever walks through inside the flow.
    static let pagesPerBrowser = 12
    /// All pages of all browsers together, in bytes of body.
    static let byteBudget = 48 << 20

    private struct State {
        /// Every page, oldest first.
        var pages: [Page] = []
        var bytes = 0
    }

    private let state = Mutex(State())
    private let clock: @Sendable () -> Int64

    init(clock: @escaping @Sendable () -> Int64) { self.clock = clock }

    /// The browser's owner key from its cookie, when it sent a well-formed one (128 random bits as hex).
    static func owner(of request: HTTPRequest) -> String? {
        guard let value = request.cookies[cookieName], value.utf8.count == 32,
            value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        return value
    }

    /// Keeps `response` for `owner` and returns the new page's id.
    func keep(_ response: HTTPResponse, owner: String) -> String {
        let now = clock()
        let page = Page(
            id: Tokens.hex128(), owner: owner, status: response.status,
            headers: response.headers.filter { $0.0.lowercased() != "set-cookie" }, body: response.body,
            storedAt: now)
        state.withLock { state in
            state.pages.removeAll { page in
                let gone = now - page.storedAt >= Self.lifetime
                if gone { state.bytes -= page.body.count }
                return gone
            }
            let mine = state.pages.indices.filter { state.pages[$0].owner == owner }
            for index in mine.dropLast(Self.pagesPerBrowser - 1).reversed() {
                state.bytes -= state.pages[index].body.count
                state.pages.remove(at: index)
            }
            state.pages.append(page)
            state.bytes += page.body.count
            while state.bytes > Self.byteBudget, state.pages.count > 1 {
                state.bytes -= state.pages.removeFirst().body.count
            }
        }
        return page.id
    }

    /// The page `id` of `owner`, while it lives.
    func page(_ id: String, owner: String) -> Page? {
        let now = clock()
        return state.withLock { state in
            state.pages.last { $0.id == id && $0.owner == owner && now - $0.storedAt < Self.lifetime }
        }
    }

    /// Forgets every page of `owner` (signing out: Back must not show the pages of the session just closed).
    func forget(owner: String) {
        state.withLock { state in
            state.pages.removeAll { page in
                let mine = page.owner == owner
                if mine { state.bytes -= page.body.count }
                return mine
            }
        }
    }

    /// How many pages are kept now (for tests).
    var count: Int { state.withLock { $0.pages.count } }
}
