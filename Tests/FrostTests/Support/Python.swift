import Foundation

/// Runs Python 3 for interoperability tests: Frost's files checked by the reference
/// libraries, and files written by them read by Frost.
///
/// A missing `python3` or a missing package is a thrown `Python.Failure` that says what to
/// install, so a test that needs Python fails rather than passing without checking
/// anything. CI installs the packages (`pip install safetensors numpy`).
enum Python {
  /// Why a Python run failed, with its output.
  struct Failure: Error, CustomStringConvertible {
    /// What went wrong and how to fix it.
    let description: String
  }

  /// The install command the failure messages suggest.
  static let installCommand = "pip install safetensors numpy"

  /// Runs `script` with `python3 -c` and returns what it printed.
  ///
  /// `arguments` become `sys.argv[1:]`. Each of `modules` is imported first; when one is
  /// missing the failure says to run `pip install safetensors numpy`.
  ///
  /// - Throws: `Python.Failure` when `python3` is not on the `PATH`, a module is missing,
  ///   or the script exits with a non-zero status (an `assert` that fails, an exception);
  ///   the message holds the script's standard error.
  static func run(
    _ script: String, arguments: [String] = [],
    importing modules: [String] = ["safetensors", "numpy"]
  ) throws -> String {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("frost-python-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outputURL = directory.appendingPathComponent("stdout")
    let errorURL = directory.appendingPathComponent("stderr")
    for url in [outputURL, errorURL]
    where !FileManager.default.createFile(atPath: url.path, contents: nil) {
      throw Failure(description: "cannot create \(url.path) for Python's output")
    }

    // Imports come first, so that a missing package is told apart from a failing check.
    let preamble = """
      import sys
      try:
          import \(modules.isEmpty ? "sys" : modules.joined(separator: ", "))
      except ImportError as error:
          sys.stderr.write(f"cannot import a module: {error}\\n")
          sys.exit(97)

      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", preamble + script] + arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: outputURL)
    process.standardError = try FileHandle(forWritingTo: errorURL)
    try process.run()
    process.waitUntilExit()

    let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
    let errors = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
    switch process.terminationStatus {
    case 0:
      return output
    case 127:
      throw Failure(
        description: "python3 is not on the PATH: install Python 3, then `\(installCommand)`"
          + " (\(errors.trimmingCharacters(in: .whitespacesAndNewlines)))")
    case 97:
      throw Failure(
        description: "Python lacks a package the test needs: run `\(installCommand)` ("
          + errors.trimmingCharacters(in: .whitespacesAndNewlines) + ")")
    case let status:
      throw Failure(description: "python3 exited with status \(status):\n\(errors)\(output)")
    }
  }
}
