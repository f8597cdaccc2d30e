import ArgumentParser
import CCOCore
import CCOSupervisor

extension Daemon {
    struct Restart: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the running daemon without refusing a connection; --host and --port apply to the new run.",
            discussion: """
            Standalone, the new daemon takes the listening socket over from the running one, which \
            then finishes its requests and exits. Under systemd the socket waits in the unit's fd \
            store (or the socket unit) while the service restarts.
            """)

        @OptionGroup var address: AddressOptions

        @OptionGroup var readiness: ReadinessTimeout

        var timeout: Double { readiness.timeout }

        func run(on supervisor: any DaemonSupervisor, console: Console) throws {
            let request = StartRequest(overrides: address.overrides, timeout: Duration(secondsOption: timeout))
            let outcome: RestartOutcome
            do { outcome = try supervisor.restart(request) } catch { throw console.failure(error) }
            switch outcome {
            case .handedOver(let handover):
                let drained = handover.killed
                    ? "killed after \(handover.drained.shortText) of draining"
                    : "drained and exited \(handover.drained.shortText) after the takeover"
                let listener = handover.keptListener ? "listener kept open" : "moved from \(handover.previousAddress)"
                console.out("restarted (pid \(handover.previousPID) → \(handover.record.pid)) on \(handover.record.baseURL) in \(handover.elapsed.shortText), \(listener); pid \(handover.previousPID) \(drained)")
            case .restarted(let service, let pid, let address, let elapsed):
                console.out("restarted \(service) (pid \(pid))\(address.map { " on \($0)" } ?? "") in \(elapsed.shortText)")
            case .stoppedAndStarted(let stopped, let started):
                Stop.print(stopped, console)
                Start.print(started, console)
            }
        }
    }
}
