import Glibc

/// What a child started with `posix_spawn` from the server inherits of its signals.
public enum SpawnAttributes {
    /// Every signal back to its default action and none blocked, as when started from a shell: the server
    /// ignores SIGPIPE and its threads block signals, which a child (sendmail, rclone) must not inherit.
    public static func startWithDefaultSignals(_ attributes: inout posix_spawnattr_t) {
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    }
}
