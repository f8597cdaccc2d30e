import ArgumentParser
import CCOCore
import CCOSupervisor

extension Daemon {
    struct Restart: SupervisorCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the running daemon without refusing a connection; --host and --port apply to the new run.",
            discussion: """
            Standalone, the new daemon takes the listening socket over from the running one, which \
            stops accepting and finishes its requests in progress (streams included, for up to \
            drain_timeout) while the new one serves everything new. Under systemd the socket waits in the unit's fd \
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
                let drained = switch handover.previous {
                case .exited(let after): "had nothing in progress and exited \(after.shortText) after the takeover"
                case .finishing(let record):
                    "is finishing \(record.inProgress) in progress, for up to \(record.boundSeconds) s (drain_timeout); `cco daemon status` follows it"
                case .stillExiting: "had nothing in progress and is exiting"
                }
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
