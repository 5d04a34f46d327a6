import Foundation

// Graph files: the whole graph as versioned JSON. Every node with its op type, name,
// inputs, control inputs, attributes, dtypes and static shapes; every variable with its
// initializer; every collection. Constants' values are base64 of their little-endian
// bytes, so a round trip is bit for bit.

/// The graph-file format's name and the version this build writes and reads.
public enum GraphFileFormat {
  /// The value of the file's `format` field.
  public static let name = "frost-graph"
  /// The version this build writes; it reads only this version.
  public static let version = 1
}

extension Graph {
  /// Writes the whole graph to `path` as a versioned JSON file (atomically: a crash leaves
  /// the previous file intact).
  ///
  /// - Throws: `FrostError.io` naming the path when it cannot be written.
  public func export(to path: String) throws {
    let text = exportJSON().serialized(pretty: true) + "\n"
    try AtomicFile.write(to: path) { sink in
      try Array(text.utf8).withUnsafeBytes { try sink.write($0) }
    }
  }

  /// A graph rebuilt from a file written by `export(to:)`.
  ///
  /// - Throws: `FrostError.invalidFile` naming the file and the problem: not JSON, another
  ///   format or version, an unknown op, a dangling input, a cycle, a shape that
  ///   contradicts its inputs, an absurd size. Checked before anything is allocated.
  public convenience init(importing path: String) throws {
    self.init()
    try importGraph(from: path)
  }

  /// Adds the graph in `path` to this one, its names under `scope` when given (as
  /// TensorFlow's `import_meta_graph(import_scope=)` does), and returns the mapping from
  /// the file's operation names to the new operations.
  ///
  /// - Throws: as `init(importing:)`; this graph is unchanged on error.
  @discardableResult
  public func importGraph(from path: String, scope: String? = nil) throws -> [String: Operation] {
    let file = try GraphFileReader(path: path)
    return try atomically {
      if let scope {
        return try withNameScope(scope) { try file.build(into: self) }
      }
      return try file.build(into: self)
    }
  }

  func exportJSON() -> JSONValue {
    let count = nodeCount
    var nodesJSON: [JSONValue] = []
    let name = { (endpoint: Endpoint) -> JSONValue in
      .string(Tensor(graph: self, endpoint: endpoint).name)
    }
    for id in 0..<count {
      let node = node(id)
      var fields: [(key: String, value: JSONValue)] = [
        ("name", .string(node.name)), ("op", .string(node.op.name)),
        ("inputs", .array(node.inputs.map(name))),
      ]
      if !node.controlInputs.isEmpty {
        fields.append(
          ("controlInputs", .array(node.controlInputs.map { .string(self.node($0).name) })))
      }
      if !node.attributes.isEmpty {
        fields.append(
          (
            "attributes",
            .object(node.attributes.keys.sorted().map { ($0, node.attributes[$0]!.json) })
          ))
      }
      fields.append(
        (
          "outputs",
          .array(
            node.outputs.map {
              .object([("dtype", .string($0.dtype.rawValue)), ("shape", $0.shape.json)])
            })
        ))
      nodesJSON.append(.object(fields))
    }
    let variables: [JSONValue] = initializerTable.keys.sorted().map { id in
      .object([
        ("variable", .string(node(id).name)),
        ("initializer", .string(node(initializerTable[id]!).name)),
      ])
    }
    let entries = collectionEntries
    let collections: [(key: String, value: JSONValue)] = entries.keys.sorted().map { key in
      (
        key,
        .array(
          entries[key]!.map { entry in
            switch entry {
            case .tensor(let endpoint): return .object([("tensor", name(endpoint))])
            case .operation(let id): return .object([("operation", .string(node(id).name))])
            }
          })
      )
    }
    var root: [(key: String, value: JSONValue)] = [
      ("format", .string(GraphFileFormat.name)), ("version", .int(GraphFileFormat.version)),
    ]
    if let seed { root.append(("seed", .string(String(seed)))) }
    root += [
      ("nodes", .array(nodesJSON)), ("variables", .array(variables)),
      ("collections", .object(collections)),
    ]
    return .object(root)
  }
}

extension Shape {
  var json: JSONValue {
    guard let dims else { return .null }
    return .array(dims.map { $0.map { .int($0) } ?? .null })
  }
}

extension AttributeValue {
  var json: JSONValue {
    switch self {
    case .int(let v): return .object([("int", .int(v))])
    case .double(let v): return .object([("double", Self.number(v))])
    case .bool(let v): return .object([("bool", .bool(v))])
    case .string(let v): return .object([("string", .string(v))])
    case .ints(let v): return .object([("ints", .array(v.map { .int($0) }))])
    case .doubles(let v): return .object([("doubles", .array(v.map(Self.number)))])
    case .shape(let v): return .object([("shape", v.json)])
    case .dtype(let v): return .object([("dtype", .string(v.rawValue))])
    case .array(let v):
      let bytes = Data(bytes: v.rawPointer, count: v.byteCount)
      return .object([
        (
          "array",
          .object([
            ("dtype", .string(v.dtype.rawValue)), ("shape", .array(v.shape.map { .int($0) })),
            ("base64", .string(bytes.base64EncodedString())),
          ])
        )
      ])
    }
  }

  /// JSON has no NaN or infinities: those are written as strings.
  private static func number(_ value: Double) -> JSONValue {
    if value.isFinite { return .double(value) }
    return .string(value.isNaN ? "nan" : value < 0 ? "-inf" : "inf")
  }
}

/// A parsed, fully validated graph file, ready to be added to a graph.
private struct GraphFileReader {
  struct NodeRecord {
    let name: String
    let op: OpDefinition
    let inputs: [(node: Int, index: Int)]
    let controlInputs: [Int]
    let attributes: [String: AttributeValue]
    let outputs: [TensorType]
  }

  let path: String
  var nodes: [NodeRecord] = []
  var variables: [(variable: Int, initializer: Int)] = []
  var collections: [(String, [(isTensor: Bool, node: Int, index: Int)])] = []
  var seed: UInt64?

  /// The largest tensor a file may describe: this machine's memory.
  static let maximumBytes = Int(min(ProcessInfo.processInfo.physicalMemory, UInt64(Int.max)))

  init(path: String) throws {
    self.path = path
    let file = try ReadableFile(path: path)
    guard file.size <= Self.maximumBytes else { throw fail("the file is larger than memory") }
    let bytes = try file.read(count: file.size, at: 0, purpose: "the graph")
    let root: JSONValue
    do {
      root = try JSONValue.parse(bytes)
    } catch {
      throw fail("not a JSON graph file: \(error)")
    }
    guard root["format"]?.stringValue == GraphFileFormat.name else {
      throw fail("not a Frost graph file (its \"format\" is not \"\(GraphFileFormat.name)\")")
    }
    guard let version = root["version"]?.intValue, version == GraphFileFormat.version else {
      throw fail(
        "unsupported version \(root["version"].map { $0.serialized() } ?? "(none)");"
          + " this build reads version \(GraphFileFormat.version)")
    }
    if let seedText = root["seed"]?.stringValue {
      guard let value = UInt64(seedText) else { throw fail("bad seed \"\(seedText)\"") }
      seed = value
    }
    guard let nodeList = root["nodes"]?.arrayValue else { throw fail("no \"nodes\" list") }

    var index: [String: Int] = [:]
    for (position, json) in nodeList.enumerated() {
      let record = try parseNode(json, position: position, index: index)
      guard index[record.name] == nil else { throw fail("node name '\(record.name)' is repeated") }
      index[record.name] = nodes.count
      nodes.append(record)
    }
    for json in root["variables"]?.arrayValue ?? [] {
      guard let variable = json["variable"]?.stringValue.flatMap({ index[$0] }),
        let initializer = json["initializer"]?.stringValue.flatMap({ index[$0] }),
        nodes[variable].op === Ops.variable
      else { throw fail("a \"variables\" entry names no variable and initializer: \(json)") }
      guard nodes[initializer].op === Ops.assign, nodes[initializer].inputs.first?.node == variable
      else {
        throw fail(
          "the initializer of variable '\(nodes[variable].name)', '\(nodes[initializer].name)',"
            + " is not an Assign to it")
      }
      guard !variables.contains(where: { $0.variable == variable }) else {
        throw fail("variable '\(nodes[variable].name)' has two entries in \"variables\"")
      }
      variables.append((variable, initializer))
    }
    for (key, list) in root["collections"]?.objectValue ?? [] {
      var items: [(Bool, Int, Int)] = []
      for entry in list.arrayValue ?? [] {
        if let name = entry["tensor"]?.stringValue {
          let (node, output) = try resolve(name, index: index, context: "collection '\(key)'")
          items.append((true, node, output))
        } else if let name = entry["operation"]?.stringValue, let node = index[name] {
          items.append((false, node, 0))
        } else {
          throw fail("collection '\(key)' has an entry naming nothing in the graph: \(entry)")
        }
      }
      collections.append((key, items))
    }
    try checkVariableCollections()
  }

  /// The variable collections may hold only variables, each with its initializer, as
  /// `globalVariablesInitializer()` and the optimizers take them.
  private func checkVariableCollections() throws {
    let initialized = Set(variables.map(\.variable))
    for (key, items) in collections
    where key == GraphKeys.globalVariables || key == GraphKeys.trainableVariables {
      for item in items {
        let node = nodes[item.node]
        guard node.op === Ops.variable, item.index == 0 else {
          throw fail("collection '\(key)' holds '\(node.name)', which is not a variable")
        }
        guard initialized.contains(item.node) else {
          throw fail(
            "variable '\(node.name)' of collection '\(key)' has no entry in \"variables\""
              + " naming its initializer")
        }
      }
    }
  }

  func fail(_ reason: String) -> FrostError { .invalidFile(path: path, reason: reason) }

  private func resolve(_ name: String, index: [String: Int], context: String) throws -> (Int, Int) {
    var opName = name
    var output = 0
    if let colon = name.lastIndex(of: ":"), let parsed = Int(name[name.index(after: colon)...]) {
      opName = String(name[..<colon])
      output = parsed
    }
    guard let node = index[opName] else {
      throw fail(
        "\(context) refers to '\(name)', which is not defined before it"
          + " (a dangling input or a cycle)")
    }
    guard output >= 0, output < nodes[node].outputs.count else {
      throw fail("\(context) refers to output \(output) of '\(opName)', which has no such output")
    }
    return (node, output)
  }

  private func parseNode(_ json: JSONValue, position: Int, index: [String: Int]) throws
    -> NodeRecord
  {
    guard let name = json["name"]?.stringValue, !name.isEmpty else {
      throw fail("node \(position) has no name")
    }
    guard let type = json["op"]?.stringValue else { throw fail("node '\(name)' has no op") }
    guard let op = Ops.registry[type] else {
      throw fail("node '\(name)' has unknown op type '\(type)'")
    }
    var inputs: [(Int, Int)] = []
    for input in json["inputs"]?.arrayValue ?? [] {
      guard let text = input.stringValue else { throw fail("node '\(name)': bad input \(input)") }
      inputs.append(try resolve(text, index: index, context: "node '\(name)'"))
    }
    var controls: [Int] = []
    for control in json["controlInputs"]?.arrayValue ?? [] {
      guard let text = control.stringValue, let node = index[text] else {
        throw fail(
          "node '\(name)' has control input \(control), which is not defined before it"
            + " (a dangling input or a cycle)")
      }
      controls.append(node)
    }
    var attributes: [String: AttributeValue] = [:]
    for (key, value) in json["attributes"]?.objectValue ?? [] {
      attributes[key] = try parseAttribute(value, node: name, key: key)
    }
    var outputs: [TensorType] = []
    for output in json["outputs"]?.arrayValue ?? [] {
      guard let dtypeName = output["dtype"]?.stringValue, let dtype = DType(rawValue: dtypeName)
      else { throw fail("node '\(name)': an output has no valid dtype") }
      let shape = try parseShape(output["shape"] ?? .null, node: name)
      try checkSize(shape.dims?.compactMap { $0 } ?? [], dtype: dtype, node: name)
      outputs.append(TensorType(dtype, shape))
    }
    return NodeRecord(
      name: name, op: op, inputs: inputs, controlInputs: controls, attributes: attributes,
      outputs: outputs)
  }

  private func parseShape(_ json: JSONValue, node: String) throws -> Shape {
    if json.isNull { return .unknown }
    guard let list = json.arrayValue else { throw fail("node '\(node)': bad shape \(json)") }
    return Shape(
      try list.map { dim -> Int? in
        if dim.isNull { return nil }
        guard let value = dim.intValue, value >= 0 else {
          throw fail("node '\(node)': bad dimension \(dim)")
        }
        return value
      })
  }

  /// Refuses a tensor larger than this machine's memory before anything is allocated.
  private func checkSize(_ dims: [Int], dtype: DType, node: String) throws {
    var bytes = dtype.byteSize
    for dim in dims {
      let (product, overflow) = bytes.multipliedReportingOverflow(by: max(dim, 1))
      guard !overflow, product <= Self.maximumBytes else {
        throw fail(
          "node '\(node)': a tensor of shape \(dims) is larger than this machine's memory")
      }
      bytes = product
    }
  }

  private func parseAttribute(_ json: JSONValue, node: String, key: String) throws
    -> AttributeValue
  {
    guard let fields = json.objectValue, fields.count == 1, let (kind, value) = fields.first
    else { throw fail("node '\(node)': attribute '\(key)' is malformed") }
    let bad = { self.fail("node '\(node)': attribute '\(key)' has a bad \(kind) value") }
    func number(_ value: JSONValue) throws -> Double {
      if let double = value.doubleValue { return double }
      switch value.stringValue {
      case "nan": return .nan
      case "inf": return .infinity
      case "-inf": return -.infinity
      default: throw bad()
      }
    }
    switch kind {
    case "int":
      guard let v = value.intValue else { throw bad() }
      return .int(v)
    case "double": return .double(try number(value))
    case "bool":
      guard let v = value.boolValue else { throw bad() }
      return .bool(v)
    case "string":
      guard let v = value.stringValue else { throw bad() }
      return .string(v)
    case "ints":
      guard let list = value.arrayValue else { throw bad() }
      return .ints(
        try list.map {
          guard let v = $0.intValue else { throw bad() }
          return v
        })
    case "doubles":
      guard let list = value.arrayValue else { throw bad() }
      return .doubles(try list.map(number))
    case "shape": return .shape(try parseShape(value, node: node))
    case "dtype":
      guard let v = value.stringValue.flatMap(DType.init(rawValue:)) else { throw bad() }
      return .dtype(v)
    case "array":
      guard let dtype = value["dtype"]?.stringValue.flatMap(DType.init(rawValue:)),
        let dims = value["shape"]?.arrayValue?.map(\.intValue),
        dims.allSatisfy({ ($0 ?? -1) >= 0 }),
        let text = value["base64"]?.stringValue
      else { throw bad() }
      let shape = dims.map { $0! }
      try checkSize(shape, dtype: dtype, node: node)
      let expected = shape.reduce(1, *) * dtype.byteSize
      guard text.utf8.count == (expected + 2) / 3 * 4, let data = Data(base64Encoded: text),
        data.count == expected
      else {
        throw fail(
          "node '\(node)': attribute '\(key)' should hold \(expected) bytes for shape"
            + " \(shape) of \(dtype)")
      }
      let storage = TensorStorage(byteCount: expected)
      data.withUnsafeBytes { storage.bytes.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
      if dtype == .bool, data.contains(where: { $0 > 1 }) {
        throw fail("node '\(node)': attribute '\(key)' has bool bytes other than 0 and 1")
      }
      return .array(NDArray(dtype: dtype, shape: shape, storage: storage))
    default:
      throw fail("node '\(node)': attribute '\(key)' has unknown kind '\(kind)'")
    }
  }

  /// Adds the nodes to `graph` under its current scope, checking each node's recorded types
  /// against what its op infers from its inputs.
  func build(into graph: Graph) throws -> [String: Operation] {
    var created: [Operation] = []
    var byName: [String: Operation] = [:]
    for record in nodes {
      let inputs = record.inputs.map { created[$0.node].outputs[$0.index] }
      let operation: Operation
      do {
        operation = try graph.addNode(
          record.op, inputs: inputs, attributes: record.attributes, name: record.name,
          ignoresControlDependencies: true,
          controlInputs: record.controlInputs.map { created[$0].id })
      } catch let error as FrostError {
        throw fail("node '\(record.name)': \(error)")
      }
      let inferred = operation.outputs.map(\.type)
      guard inferred.count == record.outputs.count,
        zip(inferred, record.outputs).allSatisfy({
          $0.dtype == $1.dtype && $0.shape.isCompatible(with: $1.shape)
        })
      else {
        throw fail(
          "node '\(record.name)' records outputs \(record.outputs), but its inputs give"
            + " \(inferred)")
      }
      created.append(operation)
      byName[record.name] = operation
    }
    var entries: [String: [Graph.CollectionEntry]] = [:]
    for (key, items) in collections {
      entries[key] = items.map { item in
        item.isTensor
          ? .tensor(Endpoint(node: created[item.node].id, index: item.index))
          : .operation(created[item.node].id)
      }
    }
    graph.registerImported(
      initializers: Dictionary(
        uniqueKeysWithValues: variables.map {
          (created[$0.variable].id, created[$0.initializer].id)
        }),
      collections: entries, names: created.map(\.name))
    if graph.seed == nil, let seed { graph.seed = seed }
    return byName
  }
}
