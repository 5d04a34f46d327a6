import Foundation
import Testing

@testable import Frost

/// Keeps Docs/training.md true to the code: every name in its Frost column is declared in
/// Sources/Frost with the argument labels shown, and its worked example is the code of
/// `workedExampleTrains`, line for line.
@Suite("Training reference")
struct TrainingReferenceTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func read(_ path: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
  }

  // MARK: - Reading Swift declarations

  /// `source` with comments and the contents of string literals blanked out (string
  /// interpolations kept as code), so that braces and parentheses can be matched.
  static func code(_ source: String) -> [Character] {
    let text = Array(source)
    var result = text
    var i = 0
    // Each open string literal, with the parenthesis depth of the interpolation it is in.
    var strings: [(multiline: Bool, interpolationDepth: Int)] = []
    var inString = false
    func blank(_ range: Range<Int>) {
      for k in range where result[k] != "\n" { result[k] = " " }
    }
    func starts(_ token: String, at index: Int) -> Bool {
      let token = Array(token)
      return index + token.count <= text.count && Array(text[index..<index + token.count]) == token
    }
    while i < text.count {
      if inString {
        let multiline = strings.last!.multiline
        if text[i] == "\\", i + 1 < text.count, text[i + 1] == "(" {
          blank(i..<i + 1)
          strings[strings.count - 1].interpolationDepth = 1
          inString = false
          i += 2
        } else if text[i] == "\\" {
          blank(i..<min(i + 2, text.count))
          i += 2
        } else if multiline ? starts("\"\"\"", at: i) : text[i] == "\"" {
          strings.removeLast()
          inString = false
          i += multiline ? 3 : 1
        } else {
          blank(i..<i + 1)
          i += 1
        }
        continue
      }
      if starts("//", at: i) {
        let end = text[i...].firstIndex(of: "\n") ?? text.count
        blank(i..<end)
        i = end
      } else if starts("/*", at: i) {
        var end = i + 2
        while end < text.count, !starts("*/", at: end) { end += 1 }
        blank(i..<min(end + 2, text.count))
        i = end + 2
      } else if starts("\"\"\"", at: i) {
        strings.append((true, 0))
        inString = true
        i += 3
      } else if text[i] == "\"" {
        strings.append((false, 0))
        inString = true
        i += 1
      } else {
        // Inside an interpolation: parentheses decide when the string resumes.
        if let last = strings.last, last.interpolationDepth > 0 {
          if text[i] == "(" { strings[strings.count - 1].interpolationDepth += 1 }
          if text[i] == ")" {
            strings[strings.count - 1].interpolationDepth -= 1
            if strings[strings.count - 1].interpolationDepth == 0 { inString = true }
          }
        }
        i += 1
      }
    }
    // One UTF-16 unit per character, so regular-expression offsets index the result.
    return result.map { $0.isASCII ? $0 : "_" }
  }

  /// The index just past the bracket that closes the one at `open`.
  static func matching(_ code: [Character], from open: Int) -> Int {
    let pairs: [Character: Character] = ["(": ")", "{": "}", "[": "]"]
    let close = pairs[code[open]]!
    var depth = 0
    for k in open..<code.count {
      if code[k] == code[open] { depth += 1 }
      if code[k] == close {
        depth -= 1
        if depth == 0 { return k + 1 }
      }
    }
    return code.count
  }

  /// The external labels of a parameter list (without its parentheses): `_` for an
  /// unlabelled parameter or associated value.
  static func labels(_ parameters: String) -> [String] {
    var pieces: [String] = []
    var current = ""
    var depth = 0
    var previous: Character = " "
    for character in parameters {
      switch character {
      case "(", "[", "<": depth += 1
      case ")", "]": depth -= 1
      case ">" where previous != "-": depth -= 1
      case "," where depth == 0:
        pieces.append(current)
        current = ""
        previous = character
        continue
      default: break
      }
      current.append(character)
      previous = character
    }
    pieces.append(current)
    return pieces.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
      .map { piece in
        guard let colon = piece.firstIndex(of: ":") else { return "_" }
        return String(piece[..<colon].split(separator: " ").first ?? "_")
      }
  }

  /// A declaration: its kind (`func`, `init`, `case`, `let`, `var`, or a type's keyword),
  /// its name, and its labels (`nil` when it takes no parameter list).
  struct Declaration {
    let kind: String
    let name: String
    let labels: [String]?
  }

  /// Every public source file's blanked code.
  static func sources() throws -> [[Character]] {
    let folder = root.appendingPathComponent("Sources/Frost")
    let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
    return try files.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
      .sorted { $0.path < $1.path }
      .map { code(try String(contentsOf: $0, encoding: .utf8)) }
  }

  /// The declarations in `code[range]` made with the keywords of interest.
  static func declarations(in code: [Character], _ range: Range<Int>) -> [Declaration] {
    let text = String(code[range])
    let pattern =
      #"(?:^|[\s;{])(?:(public|open)\s+)?(?:(?:static|final|mutating|override)\s+)*"#
      + #"(func|init|case|let|var)\b\s*([A-Za-z_][A-Za-z0-9_]*)?"#
    let regex = try! NSRegularExpression(pattern: pattern)
    let characters = Array(text)
    var result: [Declaration] = []
    let nsText = text as NSString
    for match in regex.matches(in: text, range: NSRange(location: 0, length: nsText.length)) {
      let isPublic = match.range(at: 1).location != NSNotFound
      let kind = nsText.substring(with: match.range(at: 2))
      guard isPublic || kind == "case" else { continue }
      guard match.range(at: 3).location != NSNotFound || kind == "init" else { continue }
      let name = kind == "init" ? "init" : nsText.substring(with: match.range(at: 3))
      // The parameter list: the first parenthesis after the name, past any generic clause.
      var k = match.range.upperBound
      while k < characters.count, characters[k] == "?" || characters[k] == "!" { k += 1 }
      while k < characters.count, characters[k] == " " { k += 1 }
      if k < characters.count, characters[k] == "<" {
        var depth = 0
        repeat {
          if characters[k] == "<" { depth += 1 }
          if characters[k] == ">" { depth -= 1 }
          k += 1
        } while depth > 0 && k < characters.count
      }
      var labels: [String]? = nil
      if k < characters.count, characters[k] == "(", kind != "let", kind != "var" {
        let end = matching(characters, from: k)
        labels = Self.labels(String(characters[(k + 1)..<(end - 1)]))
      }
      if kind == "case", labels == nil {
        // `case a, b`: every name of the list.
        let line = characters[k...].prefix { $0 != "\n" && $0 != "}" && $0 != ":" }
        let others = String(line).split(separator: ",")
          .map { $0.split(separator: "=").first ?? "" }
          .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        result += others.map { Declaration(kind: kind, name: $0, labels: nil) }
      }
      result.append(Declaration(kind: kind, name: name, labels: labels))
    }
    return result
  }

  /// The top-level public functions, and each public type's members (from its declaration
  /// and its extensions).
  static func index() throws -> (
    free: [Declaration], types: Set<String>, members: [String: [Declaration]]
  ) {
    var free: [Declaration] = []
    var types = Set<String>()
    var members: [String: [Declaration]] = [:]
    let typePattern = try NSRegularExpression(
      pattern:
        #"(?:^|\n)(?:public\s+)?(?:final\s+)?(struct|enum|class|protocol|extension)\s+([A-Za-z_][A-Za-z0-9_]*)[^{]*\{"#
    )
    for code in try sources() {
      let text = String(code)
      let nsText = text as NSString
      var covered: [Range<Int>] = []
      for match in typePattern.matches(in: text, range: NSRange(location: 0, length: nsText.length))
      {
        let keyword = nsText.substring(with: match.range(at: 1))
        let name = nsText.substring(with: match.range(at: 2))
        let declaration = nsText.substring(with: match.range)
        if keyword != "extension", declaration.contains("public") { types.insert(name) }
        let open = match.range.upperBound - 1
        let end = matching(code, from: open)
        members[name, default: []] += declarations(in: code, (open + 1)..<(end - 1))
        covered.append(open..<end)
      }
      // Outside every type: free functions.
      var outside = code
      for range in covered { for k in range where outside[k] != "\n" { outside[k] = " " } }
      free += declarations(in: outside, 0..<outside.count).filter { $0.kind == "func" }
    }
    return (free, types, members)
  }

  // MARK: - The table

  /// The code spans of the Frost column (the second cell) of every table row.
  static func frostNames() throws -> [(name: String, line: Int)] {
    var result: [(String, Int)] = []
    for (number, line) in try read("Docs/training.md").components(separatedBy: "\n").enumerated()
    where line.hasPrefix("| ") && !line.hasPrefix("|---") {
      // Cells split at pipes that are not escaped.
      let cells = line.replacingOccurrences(of: "\\|", with: "\u{1}").split(separator: "|")
        .map { $0.trimmingCharacters(in: .whitespaces) }
      guard cells.count == 3 else {
        Issue.record("Docs/training.md line \(number + 1) does not have 3 cells")
        continue
      }
      if cells[1] == "Frost" { continue }
      let spans = cells[1].split(separator: "`", omittingEmptySubsequences: false)
        .enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
      if spans.isEmpty { Issue.record("Docs/training.md line \(number + 1): no Frost name") }
      result += spans.map { ($0, number + 1) }
    }
    return result
  }

  /// Whether `labels` (from the page, `...` at the end meaning "and others") fit a
  /// declaration's.
  static func fits(_ labels: [String], _ declared: [String]?) -> Bool {
    guard let declared else { return labels.isEmpty }
    if labels.last == "..." {
      var remaining = declared[...]
      for label in labels.dropLast() {
        guard let found = remaining.firstIndex(of: label) else { return false }
        remaining = remaining[(found + 1)...]
      }
      return true
    }
    return labels == declared
  }

  /// The index of Sources/Frost, read once (a few seconds in a debug build).
  static let indexed = Result { try index() }

  @Test func everyFrostNameInTheTableIsDeclared() throws {
    let (free, types, members) = try Self.indexed.get()
    let names = try Self.frostNames()
    #expect(names.count > 60)
    for (span, line) in names {
      // `Type.member(label:label:)`, `function(label:)`, `Type(label:)`, `Type.member`, `Type`.
      let (path, labels): (String, [String]?) = {
        guard let open = span.firstIndex(of: "("), span.hasSuffix(")") else { return (span, nil) }
        let inside = span[span.index(after: open)..<span.index(before: span.endIndex)]
        let labels = inside.split(separator: ":").map(String.init)
        return (String(span[..<open]), labels)
      }()
      let parts = path.split(separator: ".").map(String.init)
      let found: Bool
      switch (parts.count, parts.first?.first?.isUppercase ?? false) {
      case (1, true):
        // A type, or its initializer.
        found =
          types.contains(parts[0])
          && (labels.map { labels in
            members[parts[0], default: []].contains {
              $0.kind == "init" && Self.fits(labels, $0.labels)
            }
          } ?? true)
      case (1, false):
        found = free.contains { $0.name == parts[0] && Self.fits(labels ?? [], $0.labels) }
      case (2, _):
        found =
          types.contains(parts[0])
          && members[parts[0], default: []].contains { declaration in
            declaration.name == parts[1]
              && (labels.map { Self.fits($0, declaration.labels) }
                ?? (declaration.labels == nil || declaration.kind == "case"))
          }
      default:
        found = false
      }
      if !found {
        Issue.record("Docs/training.md line \(line): `\(span)` is not declared as shown")
      }
    }
  }

  /// The checker itself: names that do not exist, or exist with other labels, are caught.
  @Test func theCheckerRejectsWhatIsNotDeclared() throws {
    let (free, types, members) = try Self.indexed.get()
    #expect(free.contains { $0.name == "dense" && Self.fits(["_", "units", "..."], $0.labels) })
    #expect(!free.contains { $0.name == "dense" && Self.fits(["_", "units"], $0.labels) })
    #expect(!free.contains { $0.name == "denseLayer" })
    #expect(types.contains("Initializer") && !types.contains("Initialiser"))
    let initializer = members["Initializer", default: []]
    #expect(initializer.contains { $0.kind == "case" && $0.name == "zeros" })
    #expect(
      initializer.contains {
        $0.name == "randomUniform" && $0.labels == ["minval", "maxval", "seed"]
      })
    #expect(initializer.contains { $0.name == "constant" && $0.labels == ["_"] })
    #expect(members["FanMode", default: []].map(\.name).sorted() == ["fanAvg", "fanIn", "fanOut"])
    #expect(
      members["AdamOptimizer", default: []].contains {
        $0.kind == "init" && $0.labels == ["learningRate", "beta1", "beta2", "epsilon", "name"]
      })
    #expect(
      Self.labels(
        "_ x: Tensor, rate: Double = 0.5, body: @Sendable (Tensor) throws -> T, from a: [Int: [Int]]"
      )
        == ["_", "rate", "body", "from"])
  }

  // MARK: - The worked example

  /// The lines between the markers in this file, without their common indentation.
  static func exampleInThisFile() throws -> [String] {
    let lines = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
      .components(separatedBy: "\n")
    guard
      let begin = lines.firstIndex(where: { $0.hasSuffix("// Docs/training.md example: begin") }),
      let end = lines.firstIndex(where: { $0.hasSuffix("// Docs/training.md example: end") })
    else { return [] }
    let body = lines[(begin + 1)..<end]
    let indent = body.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
    return body.map { $0.isEmpty ? $0 : String($0.dropFirst(indent)) }
  }

  /// The first Swift code block of the page.
  static func exampleInTheDoc() throws -> [String] {
    let lines = try read("Docs/training.md").components(separatedBy: "\n")
    guard let begin = lines.firstIndex(of: "```swift"),
      let end = lines[begin...].dropFirst().firstIndex(of: "```")
    else { return [] }
    return Array(lines[(begin + 1)..<end])
  }

  @Test func theDocsExampleIsThisTestsCode() throws {
    let doc = try Self.exampleInTheDoc()
    let test = try Self.exampleInThisFile()
    #expect(!doc.isEmpty && !test.isEmpty)
    for (number, (a, b)) in zip(doc, test).enumerated() where a != b {
      Issue.record("worked example line \(number + 1): the doc has \"\(a)\", the test \"\(b)\"")
      break
    }
    #expect(doc.count == test.count)
  }

  @Test func workedExampleTrains() throws {
    guard MLPTrainingTests.fashionMNISTOrRecordIssue(MLPTrainingTests.fashion) != nil else {
      return
    }
    // Docs/training.md example: begin
    let data = try FashionMNIST.load()
    let train = try data.train.prefix(5_000)
    let valid = try data.validation.prefix(1_000)

    let graph = Graph(seed: 42)
    let x = graph.placeholder(.float32, shape: [nil, 784], name: "X")
    let y = graph.placeholder(.int32, shape: [nil], name: "y")
    let training = try placeholderWithDefault(
      graph.constant(NDArray(false)), shape: .scalar, name: "training")

    let hidden = try dense(
      x, units: 100, kernelInitializer: .heNormal(), kernelRegularizer: .l2(1e-4),
      name: "hidden1")
    let normalized = try batchNormalization(hidden, training: training, momentum: 0.9, name: "bn1")
    let dropped = try dropout(elu(normalized), rate: 0.2, training: training)
    let logits = try dense(dropped, units: 10, name: "outputs")

    let xentropy = try sparseSoftmaxCrossEntropyWithLogits(labels: y, logits: logits)
    let loss = try add(reduceMean(xentropy), addN(graph.regularizationLosses()), name: "loss")
    let globalStep = try graph.globalStep()
    let learningRate = try exponentialDecay(
      learningRate: 0.05, globalStep: globalStep, decaySteps: 100, decayRate: 0.5)
    let trainingOp = try MomentumOptimizer(learningRate: .tensor(learningRate), momentum: 0.9)
      .minimize(loss, globalStep: globalStep)
    let correct = try inTopK(predictions: logits, targets: y, k: 1)
    let accuracy = try reduceMean(cast(correct, to: .float32))

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    var history: [Float] = []
    for epoch in 0..<3 {
      let batches = try shuffledBatches(
        train.images, train.labels, batchCount: 100, seed: UInt64(epoch))
      for (xBatch, yBatch) in batches {
        _ = try session.run(
          [], feedDict: [x: xBatch, y: yBatch, training: NDArray(true)],
          targets: [trainingOp] + graph.updateOps())
      }
      let score = try session.run(accuracy, feedDict: [x: valid.images, y: valid.labels])
      history.append(try score.scalar(as: Float.self))
    }
    // Docs/training.md example: end

    #expect(history.count == 3)
    #expect(history.last! >= 0.8, "held-out accuracy by epoch \(history)")
    #expect(try session.run(globalStep).scalar(as: Int32.self) == 300)
    // The moving statistics followed the training batches.
    let movingMean = try session.run(graph.tensor(named: "bn1/moving_mean")).doubles
    #expect(movingMean.contains { $0 != 0 })
  }
}
