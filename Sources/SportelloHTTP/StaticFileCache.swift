import Glibc
import SportelloCore

/// The small files `StaticFiles` has read, with the headers it answered them with. A hit costs one `stat`
/// per file instead of resolving the path (a `lstat` per segment), two opens and a read: the publisher
/// replaces a page by renaming a new file over it, so a changed page has a new inode, and a hit whose
/// file changed in any way is dropped and read again. Bounded by bytes; when full, new files are not kept.
final class StaticFileCache: Sendable {
    struct Key: Hashable, Sendable {
        let path: String
        let slash: Bool
        let gzip: Bool
    }

    struct Identity: Equatable, Sendable {
        let device: UInt64
        let inode: UInt64
        let size: Int
        let mtime: Int

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int(info.st_size)
            mtime = StaticFiles.mtimeNanos(info)
        }
    }

    struct Entry: Sendable {
        let headers: [(String, String)]
        let body: [UInt8]
        let etag: String
        let mtime: Int
        /// The page and, for a compressed answer, its `.gz`: both must be unchanged for a hit.
        let files: [(String, Identity)]
    }

    static let largestFile = 256 * 1024
    private let limit: Int
    private let state = Locked<(entries: [Key: Entry], bytes: Int)>(([:], 0))

    init(limit: Int) { self.limit = limit }

    func removeAll() { state.withLock { $0 = ([:], 0) } }

    var count: Int { state.withLock { $0.entries.count } }

    func store(_ key: Key, _ entry: Entry) {
        guard entry.body.count <= Self.largestFile else { return }
        state.withLock { state in
            let previous = state.entries[key]?.body.count ?? 0
            guard state.bytes - previous + entry.body.count <= limit else { return }
            state.entries[key] = entry
            state.bytes += entry.body.count - previous
        }
    }

    func response(for key: Key, request: HTTPRequest) -> HTTPResponse? {
        guard let entry = state.withLock({ $0.entries[key] }) else { return nil }
        for (path, identity) in entry.files {
            var info = stat()
            guard stat(path, &info) == 0, Identity(info) == identity else {
                state.withLock { state in
                    if let removed = state.entries.removeValue(forKey: key) { state.bytes -= removed.body.count }
                }
                return nil
            }
        }
        if StaticFiles.notModified(request.headers, etag: entry.etag, mtime: entry.mtime) {
            return HTTPResponse(
                status: 304, headers: entry.headers.filter { $0.0 != "Content-Type" && $0.0 != "Content-Encoding" })
        }
        if request.method == "HEAD" {
            return HTTPResponse(status: 200, headers: entry.headers + [("Content-Length", String(entry.body.count))])
        }
        return HTTPResponse(status: 200, headers: entry.headers, body: entry.body)
    }
}
