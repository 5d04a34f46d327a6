import Testing

@testable import Frost

@Suite("Graph")
struct GraphTests {
  @Test func namesGetTensorFlowSuffixes() throws {
    let graph = Graph()
    let a = graph.constant(1)
    let b = graph.constant(2)
    #expect(a.name == "Const")
    #expect(b.name == "Const_1")
    let sum1 = try a + b
    let sum2 = try a + b
    #expect(sum1.name == "add")
    #expect(sum2.name == "add_1")
    let explicit = try add(a, b, name: "add_1")
    #expect(explicit.name == "add_1_1")
  }

  @Test func nameScopesNestAndClashesAreSuffixed() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 2], name: "X")
    let inner = try graph.withNameScope("hidden1") {
      try graph.withNameScope("layer") { try relu(x) }
    }
    #expect(inner.name == "hidden1/layer/Relu")
    let again = try graph.withNameScope("hidden1") { try relu(x) }
    #expect(again.name == "hidden1_1/Relu")
    let reentered = try graph.withNameScope("hidden1/") { try relu(x) }
    #expect(reentered.name == "hidden1/Relu")
    #expect(graph.currentNameScope == "")
    #expect(graph.placeholder(.float32, name: "bad:name").name == "bad_name")
  }

  @Test func lookupByNameAndErrors() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, name: "inputs")
    let y = try relu(x, name: "activation")
    #expect(try graph.tensor(named: "activation") == y)
    #expect(try graph.tensor(named: "activation:0") == y)
    #expect(try graph.operation(named: "inputs") == x.op)
    expectError(containing: "'activaton'", "activation") {
      _ = try graph.tensor(named: "activaton")
    }
    expectError(containing: "no output 3") { _ = try graph.tensor(named: "activation:3") }
    expectError(containing: "'nothing'") { _ = try graph.operation(named: "nothing") }
  }

  @Test func trainableVariablesMatchTheScopeRegexAtTheStart() throws {
    let graph = Graph()
    var names: [String] = []
    for scope in ["hidden1", "hidden2", "hidden3", "hidden4", "outputs", "prefix_hidden3"] {
      let v = try graph.withNameScope(scope) {
        try graph.variable(try NDArray(zeros: [1]), name: "kernel")
      }
      names.append(v.name)
    }
    _ = try graph.variable(try NDArray(zeros: [1]), trainable: false, name: "hidden3_frozen")
    let kept = try graph.trainableVariables(scope: "hidden[34]|outputs").map(\.name)
    #expect(kept == ["hidden3/kernel", "hidden4/kernel", "outputs/kernel"])
    #expect(try graph.trainableVariables().count == 6)
    #expect(graph.globalVariables().count == 7)
    expectError(containing: "'hidden[3'") { _ = try graph.trainableVariables(scope: "hidden[3") }
  }

  @Test func buildTimeShapeErrorsNameOpInputsAndShapes() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 784], name: "X")
    let w = try graph.variable(try NDArray(zeros: [300, 50]), name: "W")
    expectError(containing: "MatMul", "'X'", "(?, 784)", "'W'", "(300, 50)") {
      _ = try matmul(x, w)
    }
    let count = graph.nodeCount
    expectError(containing: "'X'", "(?, 784)", "(3,)") {
      _ = try x + graph.constant([Float(1), 2, 3], shape: [3])
    }
    #expect(graph.nodeCount == count + 1)  // the constant; no failed Add node
    let i = graph.placeholder(.int32, name: "i")
    expectError(containing: "float32", "int32") { _ = try x + i }
    expectError(containing: "another graph") { _ = try x + Graph().constant(1) }
    expectError(containing: "axis 2") { _ = try reduceSum(x, axes: [2]) }
    expectError(containing: "not fully defined") {
      _ = try graph.variable(initialValue: x, name: "v")
    }
    expectError(containing: "'X'", "not a variable") { _ = try assign(x, x) }
  }

  @Test func failedCompositeBuilderLeavesGraphUnchanged() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [2], name: "X")
    let count = graph.nodeCount
    let variables = graph.globalVariables().count
    expectError(containing: "Add") {
      _ = try graph.makeVariable(
        type: TensorType(.float32, [2]), trainable: true, name: "v"
      ) {
        try x + graph.placeholder(.float64, shape: [2], name: "other")
      }
    }
    #expect(graph.nodeCount == count)
    #expect(graph.globalVariables().count == variables)
    // The name "v" was given back: the next variable gets it.
    #expect(try graph.variable(try NDArray(zeros: [2]), name: "v").name == "v")
  }
}
