import ArgumentParser
import CCOCore

/// Where a command's lines go: the terminal, or a test's recorder.
struct Console {
    var out: (String) -> Void
    var err: (String) -> Void

    static var terminal: Console { Console(out: Terminal.out, err: Terminal.error) }

    /// Prints `error: …` and gives the exit code to throw.
    func failure(_ message: String, _ code: ExitCode = .failure) -> ExitCode {
        err("error: " + message)
        return code
    }

    func failure(_ error: DaemonError) -> ExitCode {
        failure(error.detail, ExitCode(error.code))
    }
}
