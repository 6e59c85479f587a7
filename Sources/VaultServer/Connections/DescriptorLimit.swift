#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit. A hand-started server often gets a soft limit of 1,024 while the hard
/// limit is far higher; every client connection is a descriptor, so the server raises its soft limit to
/// the hard one at start.
public enum DescriptorLimit {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (or `ceiling`, if lower) and returns the soft
    /// limit now in force.
    @discardableResult
    public static func raiseSoftLimit(ceiling: Int = 1 << 20) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        let target = min(limit.rlim_max, rlim_t(ceiling))
        if limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
