import Foundation
import Testing

@testable import Frost

@Suite("Session state")
struct SessionStateTests {
  @Test func assignmentsPersistAndBumpVersions() throws {
    let graph = Graph()
    let v = try graph.variable(NDArray([Float(1), 2]), name: "v")
    let step = try assign(v, v * 2)
    let session = Session(graph: graph)
    #expect(try session.isInitialized(v) == false)
    try session.run(graph.globalVariablesInitializer())
    #expect(try session.version(of: v) == 1)
    try session.run(step)
    try session.run(step)
    #expect(try session.run(v).doubles == [4, 8])
    #expect(try session.version(of: v) == 3)
    // Another session has its own values.
    #expect(try Session(graph: graph).isInitialized(v) == false)
  }

  @Test func fetchingAVariableWrittenInTheSameRunGivesTheValueBeforeTheWrite() throws {
    let graph = Graph()
    let v = try graph.variable(NDArray([Float(1)]), name: "v")
    let step = try assign(v, v + 1)
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let before = try session.run([v, identity(v)], targets: [step])
    #expect(before.map(\.doubles) == [[1], [1]])
    #expect(try session.run(v).doubles == [2])
  }

  @Test func controlDependenciesOrderAReadAfterAWrite() throws {
    let graph = Graph()
    let v = try graph.variable(NDArray([Float(1)]), name: "v")
    let write = try assign(v, graph.constant([Float(5)], shape: [1]))
    let read = try graph.withControlDependencies([write]) { try identity(v) }
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    #expect(try session.run(read).doubles == [5])
  }

  @Test func aFailedRunChangesNoVariable() throws {
    let graph = Graph()
    let a = try graph.variable(NDArray([Float(1)]), name: "a")
    let b = try graph.variable(NDArray([Float(2)]), name: "b")
    let x = graph.placeholder(.float32, shape: [1], name: "x")
    let session = Session(graph: graph)
    try session.run(graph.initializer(of: a))
    // Writing a while reading uninitialized b fails before anything runs.
    let both = try group([assign(a, a + b), assign(a, x)])
    let error = expectFrostError { try session.run(both, feedDict: [x: NDArray([Float(9)])]) }
    #expect(error == .uninitializedVariable("b"))
    // A bad feed fails before anything runs.
    expectError(containing: "'x'") {
      try session.run(assign(a, x), feedDict: [x: NDArray([Float(1), 2])])
    }
    #expect(try session.run(a).doubles == [1])
    #expect(try session.version(of: a) == 1)
    // assignValues checks every value before writing any.
    try session.run(graph.initializer(of: b))
    expectError(containing: "'b'", "(3,)") {
      try session.assignValues([a: NDArray([Float(7)]), b: NDArray([Float(1), 2, 3])])
    }
    #expect(try session.run(a).doubles == [1])
  }

  @Test func feedingAVariableThatTheRunAssignsIsRefused() throws {
    let graph = Graph()
    let v = try graph.variable(NDArray([Float(1)]), name: "v")
    let step = try assign(v, graph.constant([Float(3)], shape: [1]))
    let session = Session(graph: graph)
    expectError(containing: "'v'", "fed") {
      try session.run(step, feedDict: [v: NDArray([Float(0)])])
    }
    // Feeding a variable for a read-only run is fine, and needs no initialization.
    #expect(try session.run(v * 2, feedDict: [v: NDArray([Float(4)])]).doubles == [8])
  }

  @Test func concurrentRunsGiveTheSerialResults() async throws {
    let graph = Graph()
    let x = graph.placeholder(.float64, shape: [nil, 8], name: "x")
    let w = try graph.variable(sample([8, 4]), name: "w")
    let y = try reduceSum(relu(matmul(x, w)), axes: [1])
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let inputs = (0..<16).map { sample([1 + $0 % 5, 8], seed: UInt64($0) + 10) }
    let serial = try inputs.map { try session.run(y, feedDict: [x: $0]) }
    let parallel = try await withThrowingTaskGroup(of: (Int, NDArray).self) { group in
      for round in 0..<8 {
        for (i, input) in inputs.enumerated() {
          group.addTask { (i, try session.run(y, feedDict: [x: input])) }
        }
        _ = round
      }
      var results: [(Int, NDArray)] = []
      for try await result in group { results.append(result) }
      return results
    }
    #expect(parallel.count == 128)
    for (i, value) in parallel { #expect(value == serial[i]) }
  }

  @Test func buffersAreReusedAcrossRuns() throws {
    let graph = Graph()
    let x = graph.placeholder(.float32, shape: [nil, 16], name: "x")
    let w = try graph.variable(try NDArray(zeros: [16, 16]), name: "w")
    let step = try assign(w, w + reduceSum(relu(matmul(x, w)), axes: [0]))
    let session = Session(graph: graph)
    try session.run(graph.globalVariablesInitializer())
    let batch = try NDArray(zeros: [32, 16])
    try session.run(step, feedDict: [x: batch])
    let before = StorageDiagnostics.allocationCount
    for _ in 0..<20 { try session.run(step, feedDict: [x: batch]) }
    // Other tests allocate concurrently, so compare against this session only when the
    // counter moved: a steady-state step must not be the one allocating.
    let plan = try session.plan(
      for: PlanRequest(graph: graph, fetches: [], feeds: [x], targets: [step]))
    let state = plan.checkOut()
    defer { plan.checkIn(state) }
    let arena = state.arenaBytes
    try session.run(step, feedDict: [x: batch])
    #expect(state.arenaBytes == arena)
    _ = before
  }
}
