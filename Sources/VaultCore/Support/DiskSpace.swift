/// Whether a failure was the disk (or the owner's quota) running out, whichever layer met it: a file write
/// reports it as a `SystemError`, an LMDB commit as an `LMDBError` carrying the same errno. Each HTTP surface
/// answers it with 507 and a code an operator can act on, never as an unexplained 500.
public enum DiskSpace {
    public static func isExhausted(_ error: any Error) -> Bool {
        switch error {
        case let error as SystemError: return error.isDiskFull
        case let error as LMDBError: return error.isDiskFull
        default: return false
        }
    }
}
