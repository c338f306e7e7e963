import CCrypt

/// Password hashing with yescrypt through libxcrypt (`$y$…` strings, as in /etc/shadow).
public enum PasswordHasher {
    /// Why a password could not be hashed or checked.
    public enum Failure: Error, Equatable, Sendable {
        /// Contains NUL or is longer than libcrypt accepts (`CRYPT_MAX_PASSPHRASE_SIZE`).
        case unsupportedPassword
        /// libcrypt refused to generate a setting or to hash.
        case cryptFailed
    }

    /// Longest passphrase libcrypt accepts, in bytes, excluding the terminating NUL.
    static let maxPasswordBytes = 511

    /// A new yescrypt hash of `password` with a fresh 16-byte salt (default cost).
    public static func hash(_ password: String) throws -> String {
        guard acceptable(password) else { throw Failure.unsupportedPassword }
        var generator = SystemRandomNumberGenerator()
        var salt = [CChar](repeating: 0, count: 16)
        for index in salt.indices {
            salt[index] = CChar(bitPattern: UInt8.random(in: .min ... .max, using: &generator))
        }
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let generated = setting.withUnsafeMutableBufferPointer { output in
            crypt_gensalt_rn("$y$", 0, salt, Int32(salt.count), output.baseAddress, Int32(output.count))
        }
        guard generated != nil else { throw Failure.cryptFailed }
        let settingString = String(decoding: setting.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let result = crypt(password, setting: settingString), result.hasPrefix("$y$") else {
            throw Failure.cryptFailed
        }
        return result
    }

    /// Whether `password` matches `hash`. Re-hashes with the stored setting and compares in constant time.
    public static func verify(_ password: String, hash: String) -> Bool {
        guard acceptable(password), !hash.isEmpty, let computed = crypt(password, setting: hash) else { return false }
        return Tokens.constantTimeEqual(Array(computed.utf8), Array(hash.utf8))
    }

    static func acceptable(_ password: String) -> Bool {
        password.utf8.count <= maxPasswordBytes && !password.utf8.contains(0)
    }

    /// `crypt_r` with a zeroed, heap-allocated `crypt_data` (32 KiB: too big for the stack of a worker thread).
    /// nil when libcrypt signals failure (a null pointer or a result starting with "*").
    static func crypt(_ password: String, setting: String) -> String? {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        let raw = UnsafeMutableRawPointer(data)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
        defer {
            // The output holds the hash; wipe it before giving the memory back.
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        guard let output = crypt_r(password, setting, data) else { return nil }
        let result = String(cString: output)
        return result.hasPrefix("*") ? nil : result
    }
}
