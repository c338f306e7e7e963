import CZlib

/// One zlib deflate stream with the gzip wrapper, kept for file after file: `deflateInit2` allocates about
/// 256 KB of tables and windows, which a cold build did twice per page; `deflateReset` starts the next file
/// with the same memory. zlib's state points back at its `z_stream`, so the stream lives at a fixed address.
/// Used by one thread at a time (`Gzip` hands them out).
final class DeflateStream: @unchecked Sendable {
    /// The compression level the stream was made with.
    let level: Int32
    private let stream: UnsafeMutablePointer<z_stream>

    /// A stream at `level` (1…9), or nil when zlib cannot make one.
    init?(level: Int32) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 bits of window + 16 asks zlib for the gzip wrapper instead of the zlib one.
        guard
            deflateInit2_(
                stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else {
            stream.deallocate()
            return nil
        }
        self.level = level
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// `bytes` as one gzip member, or nil when zlib fails; the stream is ready for the next file either way.
    func compress(_ bytes: [UInt8]) -> [UInt8]? {
        defer { deflateReset(stream) }
        let bound = Int(deflateBound(stream, UInt(bytes.count))) + 32
        var status = Z_STREAM_ERROR
        let output = [UInt8](unsafeUninitializedCapacity: bound) { out, count in
            status = bytes.withUnsafeBufferPointer { input -> Int32 in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.pointee.avail_in = UInt32(input.count)
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = UInt32(out.count)
                return deflate(stream, Z_FINISH)
            }
            count = status == Z_STREAM_END ? Int(stream.pointee.total_out) : 0
        }
        return status == Z_STREAM_END ? output : nil
    }
}
