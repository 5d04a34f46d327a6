// Nodes that bring values into a graph (placeholders, constants, variables), assignment,
// and grouping. The executor binds placeholders, constants and variables itself, so
// they have no kernel.

extension Ops {
  static let placeholder: OpDefinition = OpDefinition(
    "Placeholder",
    infer: { context in
      [TensorType(context.attributes.dtype("dtype"), context.attributes.shape("shape"))]
    },
    kernel: nil)

  static let constant: OpDefinition = OpDefinition(
    "Const",
    infer: { context in
      let value = context.attributes.array("value")
      return [TensorType(value.dtype, Shape(value.shape))]
    },
    kernel: nil)

  static let variable: OpDefinition = OpDefinition(
    "Variable",
    infer: { context in
      [TensorType(context.attributes.dtype("dtype"), context.attributes.shape("shape"))]
    },
    kernel: nil)

  static let assign: OpDefinition = OpDefinition(
    "Assign", writes: [0],
    infer: { context in
      guard context.inputs[0].dtype == context.inputs[1].dtype,
        context.inputs[0].shape.isCompatible(with: context.inputs[1].shape)
      else {
        throw context.error(
          "cannot assign \(context.inputs[1]) '\(context.inputNames[1])' to variable"
            + " '\(context.inputNames[0])' of type \(context.inputs[0])")
      }
      return []
    },
    kernel: { _ in
      { io in
        let target = io.input(0)
        let value = io.input(1)
        target.data.copyMemory(from: value.data, byteCount: value.count * io.elementSize(1))
      }
    })

  static let noOp: OpDefinition = OpDefinition(
    "NoOp", infer: { _ in [] }, kernel: { _ in { _ in } })
}

extension KernelIO {
  /// The byte size of input `i`'s elements.
  func elementSize(_ i: Int) -> Int { state.plan.slotTypes[inputSlots[i]].dtype.byteSize }
}

/// Assigns `value` to `variable` when run, as TensorFlow's `tf.assign` does.
///
/// The value must have the variable's dtype and shape (checked statically where known and
/// again when the run starts).
///
/// - Throws: `FrostError.invalidArgument` when `variable` is not a variable or the value
///   does not fit it.
public func assign(_ variable: Tensor, _ value: Tensor, name: String? = nil) throws -> Operation {
  guard variable.isVariable else {
    throw FrostError.invalidArgument(
      "assign: '\(variable.name)' is not a variable, only variables can be assigned")
  }
  return try variable.graph.addNode(Ops.assign, inputs: [variable, value], name: name ?? "Assign")
}

/// An operation that does nothing, but only after all of `operations` have run
/// (TensorFlow's `tf.group`).
///
/// - Throws: `FrostError.invalidArgument` for an empty list or operations of several
///   graphs.
public func group(_ operations: [Operation], name: String? = nil) throws -> Operation {
  guard let graph = operations.first?.graph else {
    throw FrostError.invalidArgument("group: no operations to group")
  }
  return try graph.group(operations, name: name ?? "group_deps")
}

extension Graph {
  /// A `NoOp` that runs after `operations`; with none, an operation that does nothing.
  func group(_ operations: [Operation], name: String, takesScopeName: Bool = false) throws
    -> Operation
  {
    try withControlDependencies(operations) {
      try addNode(Ops.noOp, inputs: [], name: name, takesScopeName: takesScopeName)
    }
  }
}
