import Glibc
import SportelloCore

extension StringProtocol {
    /// Without the leading and trailing characters of `set` (ASCII characters only: header syntax).
    func trimmed(of set: String) -> String {
        let bytes = Substring(self).utf8
        let isTrimmed = { (byte: UInt8) in set.utf8.contains(byte) }
        guard let first = bytes.firstIndex(where: { !isTrimmed($0) }),
            let last = bytes.lastIndex(where: { !isTrimmed($0) })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
