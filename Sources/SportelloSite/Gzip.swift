import Synchronization

/// gzip (RFC 1952) through the system zlib: the publisher writes a `.gz` next to each page so nginx's
/// `gzip_static` (and `sportello serve`) send compressed bytes without compressing on every request.
public enum Gzip {
    /// Compresses `bytes`; level 1…9 trades speed for size (6 is zlib's default).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8]? {
        let kept = idleStreams.withLock { streams -> DeflateStream? in
            guard let index = streams.lastIndex(where: { $0.level == level }) else { return nil }
            return streams.remove(at: index)
        }
        guard let stream = kept ?? DeflateStream(level: level) else { return nil }
        let compressed = stream.compress(bytes)
        idleStreams.withLock { streams in
            if streams.count < maximumIdleStreams { streams.append(stream) }
        }
        return compressed
    }

    /// Streams between two files: one per writer of a full build (a lane per core) and a few more.
    private static let idleStreams = Mutex<[DeflateStream]>([])
    private static let maximumIdleStreams = 8
}
