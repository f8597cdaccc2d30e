#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import CCODaemon

@main enum DaemonEntry {
    static func main() async {
        exit(await DaemonMain.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessEnvironment.current()))
    }
}
