import Foundation
import GraphDumpKit

// graph-dump: see `graph-dump --help` and Docs/graph-dump.md. Everything but printing
// lives in GraphDumpKit, where the tests call it.
let result = GraphDump.run(
  arguments: Array(CommandLine.arguments.dropFirst()),
  environment: ProcessInfo.processInfo.environment)
FileHandle.standardOutput.write(Data(result.standardOutput.utf8))
FileHandle.standardError.write(Data(result.standardError.utf8))
exit(result.status)
