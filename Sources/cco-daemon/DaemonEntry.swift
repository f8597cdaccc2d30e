#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCOCore
import CCODaemon

@main enum DaemonEntry {
    static func main() async {
        if CommandLine.arguments.dropFirst().elementsEqual([DaemonArguments.versionFlag]) {
            print(CCOVersion.current)
            exit(0)
        }
        exit(await DaemonMain.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessEnvironment.current()))
    }
}
