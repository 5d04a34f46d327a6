import Testing

@testable import GraphDumpKit

@Suite("GraphDump arguments")
struct GraphDumpArgumentTests {
  func options(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation)
    -> GraphDumpOptions?
  {
    do {
      guard case .dump(let options) = try ArgumentParser.parse(arguments) else {
        Issue.record("\(arguments) did not parse as a dump", sourceLocation: sourceLocation)
        return nil
      }
      return options
    } catch {
      Issue.record("\(arguments) failed: \(error)", sourceLocation: sourceLocation)
      return nil
    }
  }

  func usageError(_ arguments: [String]) -> String? {
    do {
      let command = try ArgumentParser.parse(arguments)
      Issue.record("\(arguments) parsed as \(command), expected a usage error")
      return nil
    } catch {
      return error.message
    }
  }

  @Test func aFileAloneAsksForTheTable() {
    #expect(options(["model.json"]) == GraphDumpOptions(graphPath: "model.json"))
  }

  @Test func everyFlagWithSeparateAndAttachedValues() {
    let parsed = options([
      "--fetch", "loss", "--feed=hidden2", "model.json", "--target", "train",
      "--trainable", "hidden[34]|outputs", "--checkpoint=ckpt.safetensors", "--json",
      "--svg", "a.svg", "--png=b.png",
    ])
    var expected = GraphDumpOptions(graphPath: "model.json")
    expected.fetches = ["loss"]
    expected.feeds = ["hidden2"]
    expected.targets = ["train"]
    expected.trainableScope = "hidden[34]|outputs"
    expected.checkpointPath = "ckpt.safetensors"
    expected.format = .json
    expected.svgPath = "a.svg"
    expected.pngPath = "b.png"
    #expect(parsed == expected)
    #expect(options(["m.json", "--dot"])?.format == .dot)
  }

  @Test func namesRepeatAndSplitAtCommas() {
    let parsed = options(["m.json", "--fetch", "loss,accuracy", "--fetch", "logits:1"])
    #expect(parsed?.fetches == ["loss", "accuracy", "logits:1"])
    #expect(usageError(["m.json", "--fetch", "loss,"]) == "--fetch 'loss,' has an empty name")
  }

  @Test func helpAndVersionWinWhereverTheyStand() throws {
    #expect(try ArgumentParser.parse(["-h"]) == .help)
    #expect(try ArgumentParser.parse(["model.json", "--help"]) == .help)
    #expect(try ArgumentParser.parse(["--version", "--bogus"]) == .version)
  }

  @Test func doubleDashEndsOptions() {
    #expect(options(["--", "-odd.json"])?.graphPath == "-odd.json")
    #expect(options(["--fetch=-x", "m.json"])?.fetches == ["-x"])
  }

  @Test func aCheckpointNeedsNoGraph() {
    let parsed = options(["--checkpoint", "c.safetensors"])
    #expect(parsed?.graphPath == nil)
    #expect(parsed?.checkpointPath == "c.safetensors")
  }

  @Test func usageErrorsNameTheFlag() {
    #expect(usageError(["m.json", "--bogus"]) == "unknown option '--bogus'")
    #expect(usageError(["m.json", "-x"]) == "unknown option '-x'")
    #expect(usageError(["m.json", "--fetch"]) == "--fetch needs a value")
    #expect(usageError(["m.json", "--fetch", "--dot"]) == "--fetch needs a value")
    #expect(usageError(["m.json", "--svg="]) == "--svg needs a value")
    #expect(usageError(["m.json", "--dot=yes"]) == "--dot takes no value")
    #expect(usageError(["m.json", "--svg", "a", "--svg", "b"]) == "--svg is given twice")
    #expect(usageError(["m.json", "--json", "--json"]) == "--json is given twice")
    #expect(usageError(["m.json", "--dot", "--json"]) == "--dot and --json exclude each other")
    #expect(usageError([]) == "no graph file given")
    #expect(
      usageError(["a.json", "b.json"]) == "one graph file expected, got 2: 'a.json', 'b.json'")
    #expect(
      usageError(["m.json", "--feed", "hidden2"])
        == "nothing to run: --feed needs --fetch or --target")
    #expect(
      usageError(["--checkpoint", "c", "--fetch", "loss", "--dot"])
        == "--fetch, --dot need a graph file")
    #expect(
      usageError(["m.json", "--checkpoint", "c", "--dot"])
        == "--checkpoint has no picture: use it without --dot")
  }

  @Test func helpDescribesEveryFlagWithinEightyColumns() {
    let flags = ArgumentParser.listFlags.union(ArgumentParser.valueFlags)
      .union(ArgumentParser.switches).union(["--help", "-h", "--version"])
    for flag in flags.sorted() {
      #expect(
        ["  \(flag) ", "  \(flag),", ", \(flag) "].contains(where: HelpText.help.contains),
        "the help does not describe \(flag)")
    }
    for line in HelpText.help.split(separator: "\n") where line.count > 80 {
      Issue.record("help line longer than 80 columns: \(line)")
    }
    #expect(HelpText.help.contains("EXIT STATUS: 0 success; 1 bad usage"))
    #expect(HelpText.help.contains("MatMul [m,k]x[k,n]: 2*m*k*n"))
  }
}
