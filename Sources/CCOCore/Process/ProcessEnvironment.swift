#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process environment (`environ`) as a dictionary, read once by each executable's entry point.
public enum ProcessEnvironment {
    public static func current() -> [String: String] {
        var variables: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                variables[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return variables
    }
}
