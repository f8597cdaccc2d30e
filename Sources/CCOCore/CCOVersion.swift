/// The version of cco, reported by `/health`, `cco --version` and the PID file.
public enum CCOVersion {
    public static let current = "0.1.0"
}
