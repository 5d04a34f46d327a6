import Foundation
import Frost
import Testing

@testable import GraphDumpKit

/// Snapshot tests of graph-dump's text, DOT and JSON on small graphs built here, and the
/// rules behind them (FLOPs, variable marks, name resolution).
@Suite("GraphDump rendering")
struct GraphDumpRenderTests {
  /// `X` (?, 3) → `layer` (a trainable kernel, a frozen bias, MatMul, add, Relu) → `loss`,
  /// plus an int32 `step` counter that an assign increments (optimizer-like state).
  func smallGraph() throws -> Graph {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 3], name: "X")
    let (kernel, bias) = try graph.withNameScope("layer") {
      (
        try graph.variable(
          try NDArray(shape: [3, 2], scalars: [Float(1), 2, 3, 4, 5, 6]), name: "kernel"),
        try graph.variable(try NDArray(zeros: [2]), trainable: false, name: "bias")
      )
    }
    let step = try graph.variable(NDArray(Int32(0)), trainable: false, name: "step")
    let hidden = try graph.withNameScope("layer/") { try relu(matmul(x, kernel) + bias) }
    _ = try reduceMean(hidden, name: "loss")
    _ = try assign(step, step + graph.constant(1, dtype: .int32), name: "increment")
    return graph
  }

  func summary(_ graph: Graph, trainable: String? = nil) throws -> GraphSummary {
    try GraphSummary(graph: graph, path: "small.json", trainableScope: trainable)
  }

  func plan(_ graph: Graph, fetches: [String], feeds: [String] = [], targets: [String] = [])
    throws -> PlanSummary
  {
    try PlanSummary(
      graph: graph, summary: summary(graph), fetches: fetches, feeds: feeds, targets: targets)
  }

  /// Compares line by line, so that a failure names the first line that differs.
  func expectText(
    _ actual: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let a = actual.components(separatedBy: "\n")
    let e = expected.components(separatedBy: "\n")
    for (i, (x, y)) in zip(a, e).enumerated() where x != y {
      Issue.record(
        "line \(i + 1) differs:\n  actual:   \(x)\n  expected: \(y)", sourceLocation: sourceLocation
      )
      return
    }
    if a.count != e.count {
      Issue.record(
        "\(a.count) lines, expected \(e.count); actual text:\n\(actual)",
        sourceLocation: sourceLocation)
    }
  }

  // MARK: - Snapshots

  @Test func tableGroupsByScopeWithMarksParametersAndFLOPs() throws {
    expectText(
      TextRenderer.render(try summary(smallGraph())),
      """
      graph small.json: 17 nodes, 3 variables, 2 top-level name scopes

      (top level): 0 parameters (0 trainable, 0 frozen), 3 FLOPs/example
        name       op           dtype    shape   variable  FLOPs  inputs
        X          Placeholder  float32  (?, 3)  -             0  -
        loss       Mean         float32  ()      -             2  layer/Relu
        Const      Const        int32    ()      -             0  -
        add        Add          int32    ()      -             1  step, Const
        increment  Assign       -        -       -             0  step, add

      layer: 8 parameters (6 trainable, 2 frozen), 16 FLOPs/example
        name                        op        dtype    shape   variable   FLOPs  inputs
        layer/kernel                Variable  float32  (3, 2)  trainable      0  -
        layer/kernel/initial_value  Const     float32  (3, 2)  -           init  -
        layer/kernel/Assign         Assign    -        -       -           init  layer/kernel, layer/kernel/initial_value
        layer/bias                  Variable  float32  (2,)    frozen         0  -
        layer/bias/initial_value    Const     float32  (2,)    -           init  -
        layer/bias/Assign           Assign    -        -       -           init  layer/bias, layer/bias/initial_value
        layer/MatMul                MatMul    float32  (?, 2)  -             12  X, layer/kernel
        layer/add                   Add       float32  (?, 2)  -              2  layer/MatMul, layer/bias
        layer/Relu                  Relu      float32  (?, 2)  -              2  layer/add

      step: 0 parameters (0 trainable, 0 frozen), 1 optimizer state, 0 FLOPs/example
        name                op        dtype  shape  variable  FLOPs  inputs
        step                Variable  int32  ()     state         0  -
        step/initial_value  Const     int32  ()     -          init  -
        step/Assign         Assign    -      -      -          init  step, step/initial_value

      variables:
        name          dtype    shape   elements  mark       trained by
        layer/kernel  float32  (3, 2)         6  trainable  -
        layer/bias    float32  (2,)           2  frozen     -
        step          int32    ()             1  state      -

      total: 8 parameters (6 trainable, 2 frozen), 1 optimizer state, 19 FLOPs/example

      trainable: in the trainable collection.
      frozen: any other variable that is not optimizer state: not in the trainable collection.
      state: optimizer bookkeeping outside the trainable collection: inputs of update ops
        (slots, beta powers) and integer variables assigns write (a global step).
      parameters: elements of trainable and frozen variables; optimizer state is apart.
      FLOPs: per example, each op on a batch of one (see --help); init: only initializes
        variables, not counted; ?: a shape of unknown rank, not counted (totals are then >=).

      """)
  }

  @Test func trainableRegexFreezesTheRest() throws {
    let text = TextRenderer.render(try summary(smallGraph(), trainable: "other"))
    #expect(text.contains("layer: 8 parameters (0 trainable, 8 frozen), 16 FLOPs/example"))
    #expect(text.contains("  layer/kernel  float32  (3, 2)         6  frozen  -"))
    #expect(text.contains("trainable: in the trainable collection, restricted to names matching"))
    #expect(text.contains("  or outside the --trainable regex."))
    #expect(throws: FrostError.self) { try summary(smallGraph(), trainable: "(") }
  }

  @Test func planListsStepsCutsAndScopes() throws {
    expectText(
      TextRenderer.render(
        try plan(smallGraph(), fetches: ["loss"], feeds: ["layer/add"]), graphPath: "small.json"),
      """
      plan for small.json
      fetches: loss
      targets: -
      feeds: layer/add
      cut at fed tensors: layer/add
      placeholders still needed: none
      scopes run: (top level), layer
      scopes not run: step
      2 operations in order, 4 FLOPs/example:
        #  name        op    dtype    shape   FLOPs
        1  layer/Relu  Relu  float32  (?, 2)      2
        2  loss        Mean  float32  ()          2

      """)
  }

  @Test func planNotesAScopeReadAsItsOutputAndMissingFeeds() throws {
    let summary = try plan(
      smallGraph(), fetches: ["loss"], feeds: ["layer"], targets: ["increment"])
    #expect(summary.notes == ["--feed 'layer' is a name scope: using its output 'layer/Relu'"])
    #expect(summary.plan.cuts == ["layer/Relu"])
    #expect(summary.steps.map(\.name) == ["step", "loss", "Const", "add", "increment"])

    let unfed = try plan(smallGraph(), fetches: ["layer/Relu"])
    #expect(unfed.plan.missingPlaceholders == ["X"])
    let text = TextRenderer.render(unfed, graphPath: "small.json")
    #expect(text.contains("placeholders still needed: X\n"))
    #expect(text.contains("scopes not run: step\n"))
  }

  @Test func planUsesTheLibrarysExplain() throws {
    // The steps are exactly Graph.explain's, whatever graph-dump adds around them.
    let graph = try smallGraph()
    let summary = try plan(graph, fetches: ["loss"], targets: ["increment"])
    let explained = try graph.explain(
      fetches: [graph.tensor(named: "loss")], targets: [graph.operation(named: "increment")])
    #expect(summary.plan.steps == explained.steps)
    #expect(summary.steps.map(\.name) == explained.steps.map(\.name))
  }

  @Test func unknownNamesSuggestTheClosest() throws {
    let graph = try smallGraph()
    #expect(
      throws: UsageError(
        message: "--fetch: no tensor or name scope 'los' in the graph; did you mean loss?")
    ) {
      try plan(graph, fetches: ["los"])
    }
    #expect(
      throws: UsageError(
        message: "--feed: no tensor or name scope 'layr' in the graph; did you mean layer?")
    ) {
      try plan(graph, fetches: ["loss"], feeds: ["layr"])
    }
    #expect(
      throws: UsageError(
        message: "--target: no operation named 'incremnt' in the graph; did you mean increment?")
    ) {
      try plan(graph, fetches: [], targets: ["incremnt"])
    }
    #expect(
      throws: UsageError(message: "--fetch: no tensor or name scope 'zzzzzzzzzz' in the graph")
    ) {
      try plan(graph, fetches: ["zzzzzzzzzz"])
    }
    #expect(throws: UsageError(message: "--fetch: operation 'loss' has 1 outputs; no output 3")) {
      try plan(graph, fetches: ["loss:3"])
    }
    #expect(throws: UsageError(message: "cannot plan this run: tensor 'layer/add' is fed twice")) {
      try plan(graph, fetches: ["loss"], feeds: ["layer/add", "layer/add"])
    }
  }

  @Test func checkpointStatisticsAndHowKeysMatchTheGraph() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("small.safetensors")
    try SafetensorsFile.write(
      [
        "layer/kernel": try NDArray(shape: [3, 2], scalars: [Float(1), 2, 3, 4, 5, 6]),
        "layer/bias": NDArray([0.5, -0.5, 1.5]),
        "extra": NDArray([Int32(-3), 7]),
        "flags": NDArray([true, false, false, true]),
        "empty": try NDArray(zeros: [0, 2]),
      ], metadata: ["global_step": "12", "author": "test"], to: path)
    let checkpoint = try CheckpointSummary(path: path, graph: smallGraph())
    expectText(
      TextRenderer.render(checkpoint).replacingOccurrences(of: directory.path, with: "DIR"),
      """
      checkpoint DIR/small.safetensors: 5 tensors
      metadata: author=test, global_step=12
        name          dtype  shape   mean       std   min  max  graph
        empty         F32    (0, 2)     -         -     -    -  not in graph (empty)
        extra         I32    (2,)       2         5    -3    7  not in graph
        flags         BOOL   (4,)     0.5       0.5     0    1  not in graph
        layer/bias    F64    (3,)     0.5  0.816497  -0.5  1.5  mismatch: the graph's variable is float32 (2,)
        layer/kernel  F32    (3, 2)   3.5   1.70783     1    6  ok
      graph variables the checkpoint lacks: step
      checkpoint keys the graph does not know: empty, extra, flags
      std is the population standard deviation (ddof 0), computed in float64.

      """)
    let alone = TextRenderer.render(try CheckpointSummary(path: path, graph: nil))
    #expect(!alone.contains("lacks"))
    #expect(alone.contains("  layer/kernel  F32    (3, 2)   3.5   1.70783     1    6  -\n"))
  }

  @Test func statisticsPropagateNaN() throws {
    let stats = try #require(
      CheckpointSummary.statistics(of: NDArray([Float(1), .nan, 3])))
    #expect(stats.mean.isNaN && stats.std.isNaN && stats.min.isNaN && stats.max.isNaN)
    #expect(TextRenderer.number(.nan) == "nan")
    #expect(TextRenderer.number(-.infinity) == "-inf")
  }

  @Test func dotHasAClusterPerScopeAndStylesVariablesByMark() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 2], name: "X")
    _ = try graph.withNameScope("dense") {
      let w = try graph.variable(try NDArray(zeros: [2, 1]), name: "kernel")
      let b = try graph.variable(try NDArray(zeros: [1]), trainable: false, name: "bias")
      return try matmul(x, w) + b
    }
    let summary = try GraphSummary(graph: graph, path: "tiny.json", trainableScope: nil)
    expectText(
      DOTRenderer.render(summary),
      """
      digraph "tiny.json" {
        graph [rankdir=TB, newrank=true, compound=true, fontname="Helvetica", fontsize=12, labelloc=t, nodesep=0.2, ranksep=0.3, label="tiny.json\\n3 parameters (2 trainable, 1 frozen); 5 FLOPs/example"];
        node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#555555", fontname="Helvetica", fontsize=9, height=0.3, margin="0.08,0.03"];
        edge [color="#777777", arrowsize=0.5, fontname="Helvetica", fontsize=8];
        subgraph "cluster_dense" {
          label="dense\\n3 parameters, 5 FLOPs/example"; style="rounded,filled"; fontsize=10; fillcolor="#f7f7f7"; color="#999999";
          "dense/kernel" [label="kernel\\nVariable (2, 1)\\ntrainable", shape="cylinder", fillcolor="#c7e9c0", color="#238b45", tooltip="dense/kernel (Variable)"];
          "dense/bias" [label="bias\\nVariable (1,)\\nfrozen", shape="cylinder", fillcolor="#c6dbef", color="#2171b5", style="filled,dashed", tooltip="dense/bias (Variable)"];
          "dense/MatMul" [label="MatMul (?, 1)", tooltip="dense/MatMul (MatMul)"];
          "dense/add" [label="add\\nAdd (?, 1)", tooltip="dense/add (Add)"];
        }
        "X" [label="X\\nPlaceholder (?, 2)", shape="invhouse", fillcolor="#fff3b0", tooltip="X (Placeholder)"];
        "X" -> "dense/MatMul" [tooltip="X: float32 (?, 2)"];
        "dense/kernel" -> "dense/MatMul" [tooltip="dense/kernel: float32 (2, 1)"];
        "dense/MatMul" -> "dense/add" [tooltip="dense/MatMul: float32 (?, 1)"];
        "dense/bias" -> "dense/add" [tooltip="dense/bias: float32 (1,)"];
        subgraph "cluster_legend" {
          label="legend (initializers not drawn)"; style="rounded"; color="#bbbbbb"; fontsize=10;
          "legend:0" [label="trainable variable", shape="cylinder", fillcolor="#c7e9c0", color="#238b45"];
          "legend:1" [label="frozen variable\\n(not trainable)", shape="cylinder", fillcolor="#c6dbef", color="#2171b5", style="filled,dashed"];
          "legend:2" [label="optimizer state", shape="cylinder", fillcolor="#eeeeee", color="#888888"];
          "legend:3" [label="placeholder", shape="invhouse", fillcolor="#fff3b0"];
          "legend:0" -> "legend:1" [style=invis];
          "legend:1" -> "legend:2" [style=invis];
          "legend:2" -> "legend:3" [style=invis];
        }
      }

      """)
  }

  @Test func dotHighlightsThePlanAndDrawsTheCut() throws {
    let graph = try smallGraph()
    let dot = DOTRenderer.render(
      try summary(graph), plan: try plan(graph, fetches: ["loss"], feeds: ["layer/add"]))
    let lines = dot.components(separatedBy: "\n").map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    #expect(
      lines.contains(
        "\"layer/add\" -> \"layer/Relu\" [tooltip=\"layer/add: float32 (?, 2)\", color=\"#6a3d9a\","
          + " style=\"dashed\", penwidth=\"2\", label=\"cut: fed\", fontcolor=\"#6a3d9a\"];"))
    #expect(
      lines.contains(
        "\"layer/add\" [label=\"add\\nAdd (?, 2)\\nfed (cut)\", color=\"#6a3d9a\","
          + " penwidth=\"2.5\", tooltip=\"layer/add (Add)\"];"))
    #expect(
      lines.contains(
        "\"loss\" [label=\"loss\\nMean ()\", color=\"#c0392b\", penwidth=\"2\", peripheries=\"2\","
          + " tooltip=\"loss (Mean)\"];"))
    // Not run: faded.
    #expect(lines.contains { $0.hasPrefix("\"layer/MatMul\" [") && $0.contains("#d9d9d9") })
    #expect(dot.contains("plan: fetch loss; feed layer/add"))
    #expect(dot.contains("\"legend:5\" [label=\"fed: the cut\""))
    // Initializers are left out.
    #expect(!dot.contains("layer/kernel/Assign"))
    #expect(!dot.contains("initial_value"))
  }

  @Test func jsonHoldsTheSameFacts() throws {
    let graph = try smallGraph()
    let text = JSONRenderer.render(
      graph: try summary(graph), plan: try plan(graph, fetches: ["loss"], feeds: ["layer/add"]),
      checkpoint: nil)
    let root = try #require(
      try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    let graphJSON = try #require(root["graph"] as? [String: Any])
    let parameters = try #require(graphJSON["parameters"] as? [String: Int])
    #expect(parameters == ["total": 8, "trainable": 6, "frozen": 2, "optimizerState": 1])
    #expect(graphJSON["flopsPerExample"] as? Int == 19)
    let scopes = try #require(graphJSON["scopes"] as? [[String: Any]])
    #expect(scopes.map { $0["name"] as? String } == ["", "layer", "step"])
    let variables = try #require(graphJSON["variables"] as? [[String: Any]])
    #expect(variables.map { $0["kind"] as? String } == ["trainable", "frozen", "state"])
    let plan = try #require(root["plan"] as? [String: Any])
    #expect(plan["cuts"] as? [String] == ["layer/add"])
    let steps = try #require(plan["steps"] as? [[String: Any]])
    #expect(steps.map { $0["name"] as? String } == ["layer/Relu", "loss"])
    #expect(text.contains("\"shape\": [null, 3]"))
  }

  @Test func jsonWriterEscapesAndKeepsOrder() {
    let value = JSON.object([
      ("b", .string("quote \" backslash \\ newline \n tab \t bell \u{07}")),
      ("a", .array([.int(1), .double(0.25), .double(.nan), .double(-.infinity), .null])),
      ("nested", .array([.object([("x", .bool(true))])])),
      ("empty", .object([])),
    ])
    #expect(
      value.serialized() == """
        {
          "b": "quote \\" backslash \\\\ newline \\n tab \\t bell \\u0007",
          "a": [1, 0.25, "nan", "-inf", null],
          "nested": [
            {
              "x": true
            }
          ],
          "empty": {}
        }
        """)
  }

  // MARK: - Rules

  @Test func flopsFollowTheDocumentedRule() {
    func estimate(
      _ type: String, _ inputs: [Shape], _ outputs: [Shape],
      _ attributes: [String: AttributeValue] = [:]
    ) -> FLOPEstimate {
      FLOPRule.estimate(type: type, attributes: attributes, inputs: inputs, outputs: outputs)
    }
    // MatMul [?,784]x[784,300]: 2·784·300, the batch excluded.
    #expect(estimate("MatMul", [[nil, 784], [784, 300]], [[nil, 300]]) == .counted(470_400))
    // The weight gradient Xᵀ·g: the batch is the inner dimension.
    #expect(
      estimate(
        "MatMul", [[nil, 784], [nil, 300]], [[784, 300]], ["transposeA": .bool(true)])
        == .counted(470_400))
    #expect(
      estimate("MatMul", [[nil, 300], [784, 300]], [[nil, 784]], ["transposeB": .bool(true)])
        == .counted(470_400))
    // Elementwise: elements per example; broadcasting takes the larger side.
    #expect(estimate("Add", [[nil, 300], [300]], [[nil, 300]]) == .counted(300))
    #expect(estimate("Relu", [[nil, 28, 28]], [[nil, 28, 28]]) == .counted(784))
    // Reductions: the elements reduced.
    #expect(estimate("Mean", [[nil, 10]], [[]]) == .counted(10))
    // Data movement: free.
    #expect(estimate("Transpose", [[nil, 300]], [[300, nil]]) == .counted(0))
    #expect(estimate("Variable", [], [[784, 300]]) == .counted(0))
    // Decompositions: n³ per matrix.
    #expect(estimate("MatrixInverse", [[4, 3, 3]], [[4, 3, 3]]) == .counted(108))
    // Unknown rank: not counted.
    #expect(estimate("Add", [.unknown, [3]], [.unknown]) == .unknown)
    #expect(estimate("MatMul", [.unknown, [3, 2]], [[nil, 2]]) == .unknown)
  }

  @Test func optimizerSlotsAndPowersAreStateAndUpdatesNameTheirTrainer() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 2], name: "X")
    let (a, b) = try graph.withNameScope("layer") {
      (
        try graph.variable(try NDArray(zeros: [2, 2]), name: "a"),
        try graph.variable(try NDArray(zeros: [2, 1]), name: "b")
      )
    }
    let loss = try reduceMean(matmul(matmul(x, a), b), name: "loss")
    _ = try AdamOptimizer().minimize(loss, varList: [b])
    _ = try MomentumOptimizer(learningRate: 0.1, momentum: 0.9).minimize(loss, varList: [a])
    let summary = try GraphSummary(graph: graph, path: "adam.json", trainableScope: nil)
    let marks = Dictionary(uniqueKeysWithValues: summary.variables.map { ($0.name, $0.kind) })
    #expect(
      marks == [
        "layer/a": .trainable, "layer/b": .trainable, "layer/b/Adam": .state,
        "layer/b/Adam_1": .state, "beta1_power": .state, "beta2_power": .state,
        "layer/a/Momentum": .state,
      ])
    let trainers = Dictionary(
      uniqueKeysWithValues: summary.variables.map { ($0.name, $0.trainedBy) })
    #expect(trainers["layer/a"] == ["Momentum"])
    #expect(trainers["layer/b"] == ["Adam"])
    #expect(trainers["layer/b/Adam"] == [])
    #expect(summary.totals == ParameterCounts(trainable: 6, frozen: 0, state: 2 + 2 + 1 + 1 + 4))
  }

  @Test func batchNormMovingStatisticsAreFrozenParameters() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 4], name: "X")
    let training = try placeholderWithDefault(
      graph.constant(NDArray(false)), shape: .scalar, name: "training")
    let normalized = try batchNormalization(x, training: training, name: "bn")
    _ = try GradientDescentOptimizer(learningRate: 0.1).minimize(
      reduceMean(normalized, name: "loss"))
    let summary = try GraphSummary(graph: graph, path: "bn.json", trainableScope: nil)
    let marks = Dictionary(uniqueKeysWithValues: summary.variables.map { ($0.name, $0.kind) })
    #expect(
      marks == [
        "bn/gamma": .trainable, "bn/beta": .trainable, "bn/moving_mean": .frozen,
        "bn/moving_variance": .frozen,
      ])
    #expect(summary.totals == ParameterCounts(trainable: 8, frozen: 8, state: 0))
  }

  @Test func initializerSubgraphsAreNotCounted() throws {
    let graph = Graph(seed: 3)
    _ = try graph.withNameScope("layer") {
      try graph.variable(
        initialValue: truncatedNormal(in: graph, shape: [4, 5], stddev: 0.1), name: "kernel")
    }
    _ = graph.globalVariablesInitializer()
    let summary = try GraphSummary(graph: graph, path: "init.json", trainableScope: nil)
    let flops = summary.scopes.flatMap(\.nodes).map { ($0.name, $0.flops) }
    #expect(flops.filter { $0.1 != .initializer }.map(\.0) == ["layer/kernel"])
    #expect(summary.flops == 0)
  }

  @Test func outputIsTheSameFromRunToRun() throws {
    let first = try summary(smallGraph())
    let second = try summary(smallGraph())
    #expect(TextRenderer.render(first) == TextRenderer.render(second))
    #expect(DOTRenderer.render(first) == DOTRenderer.render(second))
    #expect(
      JSONRenderer.render(graph: first, plan: nil, checkpoint: nil)
        == JSONRenderer.render(graph: second, plan: nil, checkpoint: nil))
  }

  @Test func numbersAreGroupedByThousands() {
    #expect(TextRenderer.grouped(0) == "0")
    #expect(TextRenderer.grouped(999) == "999")
    #expect(TextRenderer.grouped(1000) == "1,000")
    #expect(TextRenderer.grouped(470_400) == "470,400")
    #expect(TextRenderer.grouped(-1_234_567) == "-1,234,567")
  }
}
