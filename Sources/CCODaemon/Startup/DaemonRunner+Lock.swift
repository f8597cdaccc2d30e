import CCOCore

extension DaemonRunner {
    /// The daemon lock, held while this process lives; or, for a restart's new process, a takeover
    /// of the running daemon's listener first: it takes the lock only once that one has drained
    /// and exited.
    func takeLockOrBeginTakeover() throws(DaemonError) -> (Takeover?, LockHolder) {
        let takeover: Takeover?
        do {
            takeover = takesOver ? try Takeover.begin(path: paths.handoffSocket) : nil
        } catch {
            throw DaemonError(.startFailed, "cannot take over from the running daemon: \(error); it goes on serving")
        }
        let lock = LockHolder()
        if takeover == nil {
            let held: FileLock?
            do {
                held = try FileLock.tryLock(paths.lockFile)
            } catch {
                throw DaemonError(.stateDirectory, "\(error); choose a writable state directory with CCO_HOME")
            }
            guard let held else {
                let holder = FileLock.holder(of: paths.lockFile)
                throw DaemonError(.alreadyRunning, "another cco daemon\(holder.map { " (pid \($0))" } ?? "") already runs for \(paths.stateDirectory)")
            }
            lock.hold(held)
        }
        return (takeover, lock)
    }
}
