/// What the command line asks for, after parsing.
enum GraphDumpCommand: Equatable {
  /// `-h` / `--help`.
  case help
  /// `--version`.
  case version
  /// Everything else: inspect a graph, a plan, a checkpoint.
  case dump(GraphDumpOptions)
}

/// Where the report goes on standard output.
enum OutputFormat: String, Equatable {
  /// The readable tables (the default).
  case text
  /// Graphviz DOT (`--dot`).
  case dot
  /// The same facts as the text, as JSON (`--json`).
  case json
}

/// The options of one `graph-dump` run.
struct GraphDumpOptions: Equatable {
  /// The graph file (`Graph.export(to:)`); optional only with `--checkpoint`.
  var graphPath: String?
  /// `--fetch`: tensor names (or name scopes) the plan fetches.
  var fetches: [String] = []
  /// `--feed`: tensor names (or name scopes) the plan feeds.
  var feeds: [String] = []
  /// `--target`: operation names the plan runs for their effect.
  var targets: [String] = []
  /// `--trainable`: the scope regex that restricts which trainable variables train.
  var trainableScope: String?
  /// `--checkpoint`: a safetensors checkpoint to summarize.
  var checkpointPath: String?
  /// The standard-output format.
  var format: OutputFormat = .text
  /// `--svg`: where to render the picture as SVG.
  var svgPath: String?
  /// `--png`: where to render the picture as PNG.
  var pngPath: String?

  /// Whether a plan was asked for.
  var wantsPlan: Bool { !fetches.isEmpty || !feeds.isEmpty || !targets.isEmpty }
}

/// A mistake on the command line: exit status 1.
struct UsageError: Error, Equatable, CustomStringConvertible {
  let message: String
  var description: String { message }
}

/// A small parser for `graph-dump`'s conventional command line: `--flag value` or
/// `--flag=value`, `-h`/`--help`, `--version`, `--` before a file name that starts with `-`.
///
/// A value may not start with `-` unless given as `--flag=value`, so that a forgotten value
/// is reported instead of swallowing the next flag. `--fetch`, `--feed` and `--target` may
/// repeat and take comma-separated lists (tensor names never contain commas).
enum ArgumentParser {
  /// Flags that take names and may repeat.
  static let listFlags: Set<String> = ["--fetch", "--feed", "--target"]
  /// Flags that take one value, once.
  static let valueFlags: Set<String> = ["--trainable", "--checkpoint", "--svg", "--png"]
  /// Flags without a value.
  static let switches: Set<String> = ["--dot", "--json"]

  /// Parses the arguments (without the program name).
  ///
  /// - Throws: `UsageError` for an unknown flag, a missing or unexpected value, a flag given
  ///   twice, conflicting flags, a missing or extra file argument.
  static func parse(_ arguments: [String]) throws(UsageError) -> GraphDumpCommand {
    var options = GraphDumpOptions()
    var positionals: [String] = []
    var seen: Set<String> = []
    var index = 0
    var optionsEnded = false

    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
        positionals.append(argument)
        continue
      }
      if argument == "--" {
        optionsEnded = true
        continue
      }
      if argument == "-h" || argument == "--help" { return .help }
      if argument == "--version" { return .version }

      // Split `--flag=value`.
      var flag = argument
      var attached: String?
      if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
        flag = String(argument[..<equals])
        attached = String(argument[argument.index(after: equals)...])
      }

      if switches.contains(flag) {
        if attached != nil { throw UsageError(message: "\(flag) takes no value") }
        guard seen.insert(flag).inserted else { throw given(twice: flag) }
        options.format = flag == "--dot" ? .dot : .json
        continue
      }
      guard listFlags.contains(flag) || valueFlags.contains(flag) else {
        throw UsageError(message: "unknown option '\(flag)'")
      }

      // The value: attached, or the next argument unless it looks like a flag.
      let value: String
      if let attached {
        value = attached
      } else if index < arguments.count, arguments[index] == "-" || !arguments[index].hasPrefix("-")
      {
        value = arguments[index]
        index += 1
      } else {
        throw UsageError(message: "\(flag) needs a value")
      }
      guard !value.isEmpty else { throw UsageError(message: "\(flag) needs a value") }

      if listFlags.contains(flag) {
        let names = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !names.contains(where: \.isEmpty) else {
          throw UsageError(message: "\(flag) '\(value)' has an empty name")
        }
        switch flag {
        case "--fetch": options.fetches += names
        case "--feed": options.feeds += names
        default: options.targets += names
        }
        continue
      }
      guard seen.insert(flag).inserted else { throw given(twice: flag) }
      switch flag {
      case "--trainable": options.trainableScope = value
      case "--checkpoint": options.checkpointPath = value
      case "--svg": options.svgPath = value
      default: options.pngPath = value
      }
    }

    try check(&options, positionals: positionals, seen: seen)
    return .dump(options)
  }

  private static func given(twice flag: String) -> UsageError {
    UsageError(message: "\(flag) is given twice")
  }

  /// The checks that need the whole command line: one graph file, flags that need it,
  /// formats that exclude each other.
  private static func check(
    _ options: inout GraphDumpOptions, positionals: [String], seen: Set<String>
  ) throws(UsageError) {
    if positionals.count > 1 {
      throw UsageError(
        message: "one graph file expected, got \(positionals.count): "
          + positionals.map { "'\($0)'" }.joined(separator: ", "))
    }
    options.graphPath = positionals.first
    if seen.contains("--dot") && seen.contains("--json") {
      throw UsageError(message: "--dot and --json exclude each other")
    }
    if options.graphPath == nil {
      guard options.checkpointPath != nil else {
        throw UsageError(message: "no graph file given")
      }
      var needsGraph: [String] = []
      if !options.fetches.isEmpty { needsGraph.append("--fetch") }
      if !options.feeds.isEmpty { needsGraph.append("--feed") }
      if !options.targets.isEmpty { needsGraph.append("--target") }
      for flag in ["--trainable", "--dot", "--svg", "--png"] where seen.contains(flag) {
        needsGraph.append(flag)
      }
      if !needsGraph.isEmpty {
        throw UsageError(
          message: needsGraph.joined(separator: ", ") + " need"
            + (needsGraph.count == 1 ? "s" : "") + " a graph file")
      }
    }
    if !options.feeds.isEmpty && options.fetches.isEmpty && options.targets.isEmpty {
      throw UsageError(message: "nothing to run: --feed needs --fetch or --target")
    }
    if options.format == .dot && options.checkpointPath != nil {
      throw UsageError(message: "--checkpoint has no picture: use it without --dot")
    }
  }
}
