import Foundation
import Testing

@testable import Frost

/// Keeps Docs/ops.md true to the code.
@Suite("Op reference")
struct OpReferenceTests {
  struct Row {
    let function: String
    let opType: String
    let gradient: Bool
    let line: Int
  }

  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static func rows() throws -> [Row] {
    let text = try String(contentsOf: root.appendingPathComponent("Docs/ops.md"), encoding: .utf8)
    var rows: [Row] = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    where line.hasPrefix("| `") {
      let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      guard cells.count == 5 else {
        Issue.record("Docs/ops.md line \(number + 1) does not have 5 cells")
        continue
      }
      rows.append(
        Row(
          function: cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`")),
          opType: cells[1], gradient: cells[4].hasPrefix("yes"), line: number + 1))
    }
    return rows
  }

  /// Names of the public functions declared in the op files.
  static func publicOpFunctions() throws -> Set<String> {
    let folder = root.appendingPathComponent("Sources/Frost/Ops")
    let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
    var names = Set<String>()
    for case let url as URL in files where url.pathExtension == "swift" {
      let text = try String(contentsOf: url, encoding: .utf8)
      for line in text.split(separator: "\n") where line.hasPrefix("public func ") {
        let rest = line.dropFirst("public func ".count)
        names.insert(String(rest.prefix { $0 != "(" && $0 != "<" }))
      }
    }
    return names
  }

  @Test func everyPublicOpFunctionIsListedAndEveryListedOneExists() throws {
    let listed = Set(try Self.rows().map(\.function))
    let declared = try Self.publicOpFunctions()
    for name in declared.subtracting(listed).sorted() {
      Issue.record("public func \(name) in Sources/Frost/Ops is missing from Docs/ops.md")
    }
    for name in listed.subtracting(declared).sorted() {
      Issue.record("Docs/ops.md lists \(name), which no op file declares as public func")
    }
  }

  @Test func opTypesAndGradientColumnMatchTheDefinitions() throws {
    for row in try Self.rows() where row.opType != "*composite*" {
      guard let op = Ops.registry[row.opType] else {
        Issue.record("Docs/ops.md line \(row.line): op type \(row.opType) is not registered")
        continue
      }
      #expect(
        (op.gradient != nil) == row.gradient,
        "Docs/ops.md line \(row.line): gradient column of \(row.function) is wrong")
    }
  }

  @Test func everyRegisteredOpTypeIsDocumented() throws {
    let text = try String(
      contentsOf: Self.root.appendingPathComponent("Docs/ops.md"), encoding: .utf8)
    for name in Ops.registry.keys.sorted()
    where !text.contains("| \(name) |") && !text.contains("`\(name)`") {
      Issue.record("op type \(name) is registered but Docs/ops.md does not mention it")
    }
  }
}
