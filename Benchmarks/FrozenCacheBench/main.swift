import Foundation
import Frost

// frozen-cache-bench: the book's "Caching the Frozen Layers" experiment, measured.

func fail(_ message: String, status: Int32) -> Never {
  FileHandle.standardError.write(Data("frozen-cache-bench: \(message)\n".utf8))
  exit(status)
}

let options: Options
do {
  options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch let error as UsageError {
  if let message = error.message { fail("\(message)\n\(Options.usage)", status: 1) }
  print(Options.usage)
  exit(0)
}

do {
  let report = try runExperiment(options)
  print(report.text())
  if let path = options.jsonPath { try report.writeJSON(to: path) }
  if let path = options.svgPath { try report.writeSVG(to: path) }
} catch let error as FrostError {
  fail(error.description, status: 2)
}
