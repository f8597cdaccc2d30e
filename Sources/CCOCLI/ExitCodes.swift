import ArgumentParser
import CCOCore
import CCOSupervisor

/// Exit codes, decided here only. `status` follows systemctl and LSB: 0 running, 1 dead with a PID
/// file left behind, 3 not running, 4 unknown.
extension ExitCode {
    static let deadWithPIDFile = ExitCode(1)
    static let notRunning = ExitCode(3)
    static let statusUnknown = ExitCode(4)
    /// sysexits.h EX_CONFIG, also the daemon's own exit status for a bad config.
    static let configError = ExitCode(DaemonExitStatus.configError)

    /// The exit code for a lifecycle failure.
    init(_ code: DaemonError.Code) {
        switch code {
        case .config: self = .configError
        case .alreadyRunning: self = ExitCode(DaemonExitStatus.alreadyRunning)
        default: self = .failure
        }
    }
}

extension ExitCode {
    /// The exit code of `cco daemon status`.
    init(_ state: RunState) {
        switch state {
        case .running: self = .success
        case .dead: self = .deadWithPIDFile
        case .starting, .stopped: self = .notRunning
        }
    }
}

/// Prints `error: …` on stderr and gives the exit code to throw.
func failure(_ message: String, _ code: ExitCode = .failure) -> ExitCode {
    Console.terminal.failure(message, code)
}

func failure(_ error: DaemonError) -> ExitCode {
    Console.terminal.failure(error)
}

func failure(_ error: ConfigError) -> ExitCode {
    failure(error.description, .configError)
}
