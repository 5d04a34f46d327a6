import Foundation

/// Renders DOT through Graphviz's `dot` program, when it is installed.
enum Graphviz {
  /// The `dot` executable found on `PATH` (the usual system folders when `PATH` is not
  /// set, as a shell would), or `nil`.
  static func locateDot(environment: [String: String]) -> String? {
    let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":", omittingEmptySubsequences: true) {
      let candidate = String(directory) + "/dot"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Renders `dot` text as `format` (`svg`, `png`) into `output`, replacing it atomically.
  ///
  /// - Throws: `FileFailure` when `dot` is not installed, fails, or the file cannot be
  ///   written.
  static func render(
    _ dotText: String, format: String, to output: String,
    environment: [String: String]
  ) throws(FileFailure) {
    guard let dot = locateDot(environment: environment) else {
      throw FileFailure(
        message: "cannot write \(output): Graphviz's 'dot' is not installed (or not on PATH);"
          + " install it (Debian: apt-get install graphviz), or use --dot and render elsewhere")
    }
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("graph-dump-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: scratch) }
    do {
      try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
      let input = scratch.appendingPathComponent("graph.dot")
      let rendered = scratch.appendingPathComponent("graph.\(format)")
      let errors = scratch.appendingPathComponent("stderr.txt")
      try Data(dotText.utf8).write(to: input)
      _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

      let process = Process()
      process.executableURL = URL(fileURLWithPath: dot)
      process.arguments = ["-T\(format)", "-o", rendered.path, input.path]
      process.standardInput = FileHandle.nullDevice
      process.standardOutput = FileHandle.nullDevice
      process.standardError = try FileHandle(forWritingTo: errors)
      try process.run()
      process.waitUntilExit()
      guard process.terminationReason == .exit, process.terminationStatus == 0 else {
        let message = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        throw FileFailure(
          message: "dot failed to render \(output) (status \(process.terminationStatus)): "
            + message.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      try Data(contentsOf: rendered).write(to: URL(fileURLWithPath: output), options: .atomic)
    } catch let failure as FileFailure {
      throw failure
    } catch {
      throw FileFailure(message: "cannot write \(output): \(error.localizedDescription)")
    }
  }
}
