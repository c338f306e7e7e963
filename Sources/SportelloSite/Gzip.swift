/// gzip (RFC 1952): the publisher writes a `.gz` next to each page so nginx's `gzip_static` (and `sportello
/// serve`) send compressed bytes without compressing on every request. Sportello's own encoder
/// (`DeflateEncoder`) writes them, at about 2.5 times zlib's speed on the site's pages; zlib stays as the reference
/// the tests and `sportello-bench gzip` compare it with.
public enum Gzip {
    /// Compresses `bytes` with Sportello's encoder (zlib at level 3 for an input over 1 GB).
    public static func compress(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count <= DeflateEncoder.maximumInput else { return compressWithZlib(bytes, level: 3) }
        let encoder = idleEncoders.take() ?? DeflateEncoder()
        let compressed = encoder.compress(bytes)
        idleEncoders.put(encoder)
        return compressed
    }

    /// Compresses `bytes` through the system zlib; level 1…9 trades speed for size (6 is zlib's default).
    public static func compressWithZlib(_ bytes: [UInt8], level: Int32) -> [UInt8]? {
        guard let stream = idleStreams.take(where: { $0.level == level }) ?? DeflateStream(level: level) else {
            return nil
        }
        let compressed = stream.compress(bytes)
        idleStreams.put(stream)
        return compressed
    }

    /// Encoders and streams between two files: one per writer of a full build (a lane per core) and a few more.
    private static let idleEncoders = IdlePool<DeflateEncoder>(capacity: 8)
    private static let idleStreams = IdlePool<DeflateStream>(capacity: 8)
}
