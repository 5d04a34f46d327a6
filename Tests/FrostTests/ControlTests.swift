import Testing

@testable import Frost

@Suite("Control ops")
struct ControlTests {
  // MARK: - placeholderWithDefault

  @Test func placeholderWithDefaultGivesTheDefaultUnlessFed() throws {
    let graph = Graph()
    let base = try graph.constant([1.0, 2, 3], shape: [3], name: "base")
    let doubled = try base * 2
    let switchable = try placeholderWithDefault(doubled, shape: [3], name: "value")
    let y = try switchable + 1
    let session = Session(graph: graph)
    #expect(try session.run(y).doubles == [3, 5, 7])
    #expect(
      try session.run(y, feedDict: [switchable: NDArray([10.0, 20, 30])]).doubles == [11, 21, 31])

    // Fed, nothing upstream of it runs.
    let plan = try session.explain(fetches: [y], feeds: [switchable])
    #expect(!plan.runs(doubled.op.name))
    #expect(plan.cuts == ["value"])
    #expect(switchable.type == TensorType(.float64, [3]))
  }

  @Test func aScalarSwitchOfAnyDtype() throws {
    let graph = Graph()
    let training = try placeholderWithDefault(
      graph.constant(NDArray(false)), shape: [], name: "is_training")
    let session = Session(graph: graph)
    #expect(try session.run(training).doubles == [0])
    #expect(try session.run(training, feedDict: [training: NDArray(true)]).doubles == [1])
    expectError(containing: "is_training", "bool", "int32") {
      _ = try session.run(training, feedDict: [training: NDArray(Int32(1))])
    }
  }

  @Test func aPartialDefaultIsResolvedWhenTheRunKnowsItsShape() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 2], name: "x")
    let value = try placeholderWithDefault(x * 2, shape: [nil, 2])
    #expect(value.shape == [nil, 2])
    let session = Session(graph: graph)
    let batch = try NDArray(shape: [3, 2], scalars: [Float(1), 2, 3, 4, 5, 6])
    #expect(try session.run(value, feedDict: [x: batch]).doubles == [2, 4, 6, 8, 10, 12])
    let other = try NDArray(shape: [1, 2], scalars: [Float(7), 8])
    #expect(try session.run(value, feedDict: [value: other]).doubles == [7, 8])
  }

  @Test func placeholderWithDefaultIsASwitchAndPassesGradients() throws {
    #expect(Ops.placeholderWithDefault.traits.contains(.switchable))
    #expect(Ops.placeholderWithDefault.traits.contains(.aliasesInput))
    try expectGradient([sample([2, 3])]) { inputs in
      try placeholderWithDefault(inputs[0] * inputs[0], shape: [2, 3])
    }
  }

  @Test func placeholderWithDefaultShapeMistakesAreNamed() throws {
    let graph = Graph()
    let value = try graph.constant([1.0, 2, 3], shape: [3], name: "three")
    expectError(containing: "PlaceholderWithDefault", "'three'", "(2,)") {
      _ = try placeholderWithDefault(value, shape: [2])
    }
    expectError(containing: "PlaceholderWithDefault", "'three'", "declare the default's shape") {
      _ = try placeholderWithDefault(value, shape: [nil])
    }
    expectError(containing: "'three'", "declare the default's shape") {
      _ = try placeholderWithDefault(value, shape: .unknown)
    }
  }

  // MARK: - Control dependencies, noOp and group

  @Test func aControlDependencyRunsTheAssignBeforeTheRead() throws {
    let graph = Graph()
    let v = try graph.variable(NDArray(1.0), name: "v")
    let w = try graph.variable(NDArray(1.0), name: "w")
    let assignV = try assign(v, graph.constant(5, dtype: .float64))
    let assignW = try assign(w, graph.constant(7, dtype: .float64))
    let readV = try graph.withControlDependencies([assignV]) { try identity(v) }
    let readW = try identity(w)
    #expect(readV.op.controlInputs == [assignV])

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    // Fetching the dependent read runs the assign first.
    #expect(try session.run(readV).doubles == [5])
    // Without a dependency, a read in the same run as a write sees the value from before.
    #expect(try session.run([readW], targets: [assignW])[0].doubles == [1])
    #expect(try session.run(readW).doubles == [7])
  }

  @Test func noOpRunsItsControlDependencies() throws {
    let graph = Graph()
    let v = try graph.variable(NDArray(Int32(0)), name: "v")
    let bump = try assign(v, graph.constant(NDArray(Int32(3))))
    let step = try graph.withControlDependencies([bump]) { noOp(in: graph, name: "step") }
    #expect(step.type == "NoOp")
    #expect(step.name == "step")
    #expect(step.controlInputs == [bump])
    #expect(noOp(in: graph).controlInputs.isEmpty)

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    try session.run(step)
    #expect(try session.run(v).doubles == [3])
  }

  @Test func groupRunsEveryMember() throws {
    let graph = Graph()
    let variables = try (0..<3).map { try graph.variable(NDArray(0.0), name: "v\($0)") }
    let assigns = try variables.enumerated().map { i, v in
      try assign(v, graph.constant(Double(i + 1), dtype: .float64))
    }
    let all = try group(assigns, name: "all")
    #expect(Set(all.controlInputs) == Set(assigns))

    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    try session.run(all)
    #expect(try session.run(variables).map(\.doubles) == [[1], [2], [3]])
    expectError(containing: "group", "no operations") { _ = try group([]) }
  }

  @Test func nestedControlDependenciesAccumulateAndEndWithTheirScope() throws {
    let graph = Graph()
    let a = noOp(in: graph, name: "a")
    let b = noOp(in: graph, name: "b")
    let (inner, outer) = try graph.withControlDependencies([a]) {
      let inner = try graph.withControlDependencies([b]) { noOp(in: graph, name: "inner") }
      return (inner, noOp(in: graph, name: "outer"))
    }
    #expect(Set(inner.controlInputs) == [a, b])
    #expect(outer.controlInputs == [a])
    #expect(noOp(in: graph, name: "after").controlInputs.isEmpty)

    let other = Graph()
    expectError(containing: "'a'", "another graph") {
      try other.withControlDependencies([a]) {}
    }
  }
}
