import Glibc
import SportelloCore

/// Serves the files under `root` for GET and HEAD, the way nginx serves `output/`: `index.html` for
/// directories, 301 to add a missing slash, `404.html` for misses, validators and 304, precompressed
/// `.gz` siblings. Never serves anything outside `root` (dot segments, hidden files and symlinks that
/// resolve outside are refused).
public struct StaticFiles: HTTPResponder {
    /// The folder served (`output/`), as configured.
    public let root: String
    private let resolvedRoot: String?
    /// Small files already read, answered without resolving the path again; nil when disabled.
    private let cache: StaticFileCache?

    /// `cacheBytes`: how much memory small files may keep (0: no cache).
    public init(root: String, cacheBytes: Int = 32 << 20) {
        self.root = root
        resolvedRoot = Self.realPath(root)
        cache = cacheBytes > 0 ? StaticFileCache(limit: cacheBytes) : nil
    }

    /// Drops every cached file (after a full rebuild, so pages that no longer exist stop taking memory).
    /// Not needed for correctness: each hit checks its file is still the one on disk.
    public func invalidateCache() { cache?.removeAll() }

    var cachedFiles: Int { cache?.count ?? 0 }

    /// Content types by file extension (also given to the copies in object storage).
    public static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon",
        "ics": "text/calendar; charset=utf-8", "json": "application/json", "txt": "text/plain; charset=utf-8",
        "xml": "application/xml", "webmanifest": "application/manifest+json", "map": "application/json",
        "woff2": "font/woff2", "woff": "font/woff", "pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
    ]

    /// Files are answered on the event loop: most from memory, the others with a few system calls.
    public func answersOnEventLoop(_ request: HTTPRequest) -> Bool { true }

    /// The file `request.path` names, a redirect to add its slash, 405 for other methods, or the 404 page.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.text(405, "405 Method Not Allowed\n")
            response.headers.append(("Allow", "GET, HEAD"))
            return response
        }
        let path = request.path
        guard path.hasPrefix("/"), !path.utf8.contains(0) else { return .text(400, "400 Bad Request\n") }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for segment in segments {
            // `..` and `.` (also when they arrived percent-encoded: `path` is decoded) and hidden files.
            if segment.hasPrefix("."), segment != ".well-known" { return notFound(request) }
            if segment.utf8.contains(UInt8(ascii: "\\")) { return notFound(request) }
        }
        let relative = segments.joined(separator: "/")
        let acceptsGzip = Self.acceptsGzip(request.headers.values("Accept-Encoding"))
        let key = StaticFileCache.Key(path: relative, slash: path.hasSuffix("/"), gzip: acceptsGzip)
        if let cache, let hit = cache.response(for: key, request: request) { return hit }
        guard let rootPath = resolvedRoot ?? Self.realPath(root) else { return notFound(request) }
        guard let resolved = resolveInside(rootPath, relative.isEmpty ? rootPath : rootPath + "/" + relative),
            var info = Self.fileStatus(resolved)
        else { return notFound(request) }
        var file = resolved
        if info.isDirectory {
            guard path.hasSuffix("/") else {
                var location = "/" + segments.map(Self.encodeSegment).joined(separator: "/") + "/"
                if let query = request.query { location += "?" + query }
                var response = HTTPResponse.text(301, "301 Moved Permanently\n")
                response.headers.append(("Location", location))
                return response
            }
            guard let index = resolveInside(rootPath, resolved + "/index.html"),
                let indexInfo = Self.fileStatus(index), indexInfo.isRegular
            else { return notFound(request) }
            file = index
            info = indexInfo
        } else if !info.isRegular || path.hasSuffix("/") {
            return notFound(request)
        }
        return serve(file, request: request, status: 200, cacheKey: key) ?? notFound(request)
    }

    /// `root/404.html` with status 404 when present, else plain text.
    private func notFound(_ request: HTTPRequest) -> HTTPResponse {
        if let rootPath = resolvedRoot ?? Self.realPath(root),
            let page = resolveInside(rootPath, rootPath + "/404.html"),
            let response = serve(page, request: request, status: 404, conditional: false)
        {
            return response
        }
        return .text(404, "404 Not Found\n")
    }

    private func resolveInside(_ rootPath: String, _ candidate: String) -> String? {
        guard let real = Self.realPath(candidate) else { return nil }
        guard real == rootPath || real.hasPrefix(rootPath == "/" ? "/" : rootPath + "/") else { return nil }
        return real
    }

    private func serve(
        _ file: String, request: HTTPRequest, status: Int, conditional: Bool = true,
        cacheKey: StaticFileCache.Key? = nil
    ) -> HTTPResponse? {
        let ext =
            file.split(separator: "/").last.flatMap { name -> Substring? in
                guard let dot = name.lastIndex(of: ".") else { return nil }
                return name[name.index(after: dot)...]
            }.map { $0.lowercased() } ?? ""
        let contentType = Self.contentTypes[ext] ?? "application/octet-stream"
        let isHTML = ext == "html" || ext == "htm"
        // The availability files beside the week pages change with every booking, as the pages do, and are
        // public data read by other sites' apps (no cookie is read or set here): no-cache, and any origin.
        let isData = ext == "json"

        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var plain = stat()
        guard fstat(fd, &plain) == 0, (plain.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }

        // A precompressed sibling counts when it is a regular file at least as new as the original.
        var gzipFD: Int32 = -1
        var gzip = stat()
        var hasGzip = false
        if lstat(file + ".gz", &gzip) == 0, (gzip.st_mode & S_IFMT) == S_IFREG,
            Self.mtimeNanos(gzip) >= Self.mtimeNanos(plain)
        {
            hasGzip = true
            if Self.acceptsGzip(request.headers.values("Accept-Encoding")) {
                gzipFD = open(file + ".gz", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                if gzipFD >= 0, fstat(gzipFD, &gzip) != 0 || (gzip.st_mode & S_IFMT) != S_IFREG {
                    close(gzipFD)
                    gzipFD = -1
                }
            }
        }
        let useGzip = gzipFD >= 0
        let chosenFD = useGzip ? gzipFD : fd
        let chosen = useGzip ? gzip : plain
        defer {
            close(fd)
            if gzipFD >= 0 { close(gzipFD) }
        }

        let size = Int(chosen.st_size)
        let etag = "\"\(String(size, radix: 16))-\(String(Self.mtimeNanos(chosen), radix: 16))\(useGzip ? "-gz" : "")\""
        let mtime = Int(chosen.st_mtim.tv_sec)
        var headers: [(String, String)] = [
            ("Content-Type", contentType),
            ("Cache-Control", isHTML || isData || status != 200 ? "no-cache" : "public, max-age=3600"),
        ]
        if isData { headers.append(("Access-Control-Allow-Origin", "*")) }
        if status == 200 {
            headers.append(("ETag", etag))
            headers.append(("Last-Modified", HTTPDate.format(mtime)))
        }
        if hasGzip { headers.append(("Vary", "Accept-Encoding")) }
        if useGzip { headers.append(("Content-Encoding", "gzip")) }
        headers += SecurityHeaders.all

        if conditional, status == 200, Self.notModified(request.headers, etag: etag, mtime: mtime) {
            return HTTPResponse(
                status: 304, headers: headers.filter { $0.0 != "Content-Type" && $0.0 != "Content-Encoding" })
        }
        if request.method == "HEAD" {
            headers.append(("Content-Length", String(size)))
            return HTTPResponse(status: status, headers: headers)
        }
        guard let body = Self.readAll(chosenFD, size: size) else { return nil }
        if let cache, let cacheKey, status == 200 {
            cache.store(
                cacheKey,
                StaticFileCache.Entry(
                    headers: headers, body: body, etag: etag, mtime: mtime,
                    files: [(file, StaticFileCache.Identity(plain))]
                        + (useGzip ? [(file + ".gz", StaticFileCache.Identity(gzip))] : [])))
        }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    static func notModified(_ headers: HTTPHeaders, etag: String, mtime: Int) -> Bool {
        let tags = headers.values("If-None-Match")
        if !tags.isEmpty {
            let opaque = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
            for list in tags {
                for candidate in list.split(separator: ",") {
                    var tag = candidate.trimmed(of: " \t")
                    if tag == "*" { return true }
                    if tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
                    if tag == opaque { return true }
                }
            }
            return false  // If-None-Match wins over If-Modified-Since
        }
        if let since = headers["If-Modified-Since"], let date = HTTPDate.parse(since) { return mtime <= date }
        return false
    }

    static func acceptsGzip(_ values: [String]) -> Bool {
        var gzip: Bool?
        var star: Bool?
        for value in values {
            for item in value.split(separator: ",") {
                let parts = item.split(separator: ";")
                guard let coding = parts.first?.trimmed(of: " \t").lowercased() else { continue }
                var quality = 1.0
                for parameter in parts.dropFirst() {
                    let p = parameter.trimmed(of: " \t").lowercased()
                    if p.hasPrefix("q="), let q = Double(p.dropFirst(2)) { quality = q }
                }
                if coding == "gzip" || coding == "x-gzip" {
                    gzip = quality > 0
                } else if coding == "*" {
                    star = quality > 0
                }
            }
        }
        return gzip ?? star ?? false
    }

    private static func readAll(_ fd: Int32, size: Int) -> [UInt8]? {
        guard size > 0 else { return [] }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            guard let base = buffer.baseAddress else {
                count = 0
                return
            }
            var offset = 0
            while offset < size {
                let n = pread(fd, base + offset, size - offset, off_t(offset))
                if n > 0 {
                    offset += n
                    continue
                }
                if n < 0, errno == EINTR { continue }
                if n < 0 { failed = true }
                break
            }
            count = offset
        }
        return failed ? nil : bytes
    }

    private struct FileStatus {
        var isDirectory: Bool
        var isRegular: Bool
    }

    private static func fileStatus(_ path: String) -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        return FileStatus(isDirectory: type == S_IFDIR, isRegular: type == S_IFREG)
    }

    static func mtimeNanos(_ info: stat) -> Int {
        Int(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int(info.st_mtim.tv_nsec)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func encodeSegment(_ segment: Substring) -> String {
        var out = ""
        for byte in segment.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "'"), UInt8(ascii: "("),
                UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="),
                UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "&"), UInt8(ascii: "+"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out +=
                    "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
