import ArgumentParser
import CCOCLI

@main enum CCOMain { static func main() async { await CCO.main() } }
