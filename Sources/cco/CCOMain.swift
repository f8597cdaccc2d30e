import ArgumentParser
import CCOCLI

// Synchronous on purpose: no command awaits anything, and without Swift concurrency no libdispatch
// worker thread is started. One started at the async main task's priority (user-initiated on Linux)
// tries to renice itself, which an unprivileged user may not do, and libdispatch then writes
// "Failed to set thread priority for worker thread" to syslog (the journal) on every `cco` call.
@main enum CCOMain { static func main() { CCO.main() } }
