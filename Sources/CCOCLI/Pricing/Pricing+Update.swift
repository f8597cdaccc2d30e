import ArgumentParser
import CCOAnalytics
import CCOCore
import CCOSupervisor

extension Pricing {
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a newer copy of LiteLLM's model price data and apply it.",
            discussion: """
                SOURCE is a file or an http(s) URL (fetched with curl) holding LiteLLM's \
                model_prices_and_context_window.json, e.g. \
                https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json. \
                Its Anthropic entries are checked, then stored in prices.json in the state directory, \
                which a running daemon reads at once (reload) and every daemon reads when it starts.
                """)

        @Argument(help: "A file, or an http(s) URL.")
        var source: String

        func run() throws {
            let environment = try CommandEnvironment.current()
            let bytes = try fetch(source)
            let origin = "\(source), fetched \(StatsText.localTime(WallClock.nowMilliseconds()))"
            let stored: [UInt8], data: PriceData
            do {
                (stored, data) = try PriceData.storedCopy(of: bytes, source: origin)
            } catch {
                throw failure("\(source): \(error.message); nothing was changed")
            }
            do {
                try FileSystem.makeDirectory(environment.paths.stateDirectory, mode: 0o700)
                try AtomicFile.write(stored, to: environment.paths.priceFile)
            } catch {
                throw failure("cannot write \(environment.paths.priceFile): \(error)")
            }
            Terminal.out("stored \(data.models.count) Anthropic models from \(source) in \(environment.paths.priceFile)")
            // A running daemon applies them now; with none, the next start reads them.
            if let outcome = try Daemon.Reload.ifRunning(environment, noneRunning: "no daemon runs; it charges with these prices from its next start") {
                Daemon.Reload().apply(outcome, console: .terminal)
            }
        }

        private func fetch(_ source: String) throws -> [UInt8] {
            guard source.hasPrefix("https://") || source.hasPrefix("http://") else {
                do {
                    guard let bytes = try FileSystem.readIfExists(source) else { throw failure("\(source) does not exist") }
                    return bytes
                } catch let error as FileError {
                    throw failure("cannot read \(source): \(error)")
                }
            }
            let result = ProcessCommandRunner().run("/usr/bin/env", ["curl", "--fail", "--silent", "--show-error", "--location", "--max-time", "60", source])
            guard result.status == 0 else {
                let reason = result.output.split(separator: "\n").last.map(String.init) ?? ""
                throw failure("cannot fetch \(source): \(result.status == 127 ? "curl is not installed" : reason.isEmpty ? "curl exited with status \(result.status)" : reason); download it yourself and run `cco pricing update FILE`")
            }
            return Array(result.output.utf8)
        }
    }
}
