/// A learning rate: a number, or a scalar tensor such as a decaying schedule.
public enum LearningRate: Sendable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
  /// A fixed learning rate.
  case constant(Double)
  /// A scalar floating-point tensor, evaluated at every step (`exponentialDecay`) and cast
  /// to each variable's dtype.
  case tensor(Tensor)

  /// A fixed learning rate.
  public init(floatLiteral value: Double) { self = .constant(value) }

  /// A fixed learning rate.
  public init(integerLiteral value: Int) { self = .constant(Double(value)) }

  func tensor(in graph: Graph, dtype: DType) throws -> Tensor {
    switch self {
    case .constant(let value):
      return graph.constant(value, dtype: dtype, name: "learning_rate")
    case .tensor(let tensor):
      guard tensor.graph === graph else {
        throw FrostError.invalidArgument(
          "learning rate '\(tensor.name)' belongs to another graph")
      }
      guard tensor.dtype.isFloatingPoint, tensor.shape.rank ?? 0 == 0 else {
        throw FrostError.invalidArgument(
          "learning rate '\(tensor.name)' is \(tensor.type); expected a float scalar")
      }
      // As TensorFlow, cast to the variable's dtype: a float32 schedule trains float64 too.
      return tensor.dtype == dtype ? tensor : try cast(tensor, to: dtype)
    }
  }
}

/// A gradient paired with the variable it updates (`nil` when the loss does not depend on
/// the variable), as TensorFlow's `compute_gradients` returns them.
public struct GradientAndVariable: Sendable {
  /// The gradient of the loss with respect to `variable`, or `nil`.
  public var gradient: Tensor?
  /// The variable.
  public var variable: Tensor

  /// A pair; clip or scale the gradient and pass the pairs to `applyGradients`.
  public init(gradient: Tensor?, variable: Tensor) {
    self.gradient = gradient
    self.variable = variable
  }
}

/// An optimizer: computes gradients of a loss and updates variables with them, as
/// TensorFlow 1.x's `tf.train.Optimizer` does, with the same update rules and the same slot
/// variable names (`hidden3/kernel/Momentum`, `hidden3/kernel/Adam`, `.../Adam_1`).
///
/// Slots are ordinary non-trainable variables, initialized by
/// `globalVariablesInitializer()` and saved by checkpoints. Create the optimizer's ops
/// before you build the initializer, as in TensorFlow.
public protocol Optimizer {
  /// The name of the optimizer's scope and slots (`GradientDescent`, `Adam`).
  var name: String { get }

  /// The learning rate.
  var learningRate: LearningRate { get }

  /// Creates the slots of one variable and the op that applies one update to it.
  func applyDense(
    gradient: Tensor, variable: Tensor, learningRate: Tensor, state: inout OptimizerState
  ) throws -> Operation

  /// Ops to run after all variables were updated (Adam's β powers); empty by default.
  func finish(updates: [Operation], state: inout OptimizerState) throws -> [Operation]
}

/// Values an optimizer shares between the variables of one `applyGradients` call.
public struct OptimizerState {
  /// Non-slot variables created once per call (Adam's `beta1_power`), by name.
  public internal(set) var shared: [String: Tensor] = [:]
  let graph: Graph
}

extension Optimizer {
  /// No ops after the updates: only optimizers with shared state (Adam) need any.
  public func finish(updates: [Operation], state: inout OptimizerState) throws -> [Operation] {
    []
  }

  /// Symbolic gradients of `loss` with respect to `varList` (all trainable variables when
  /// `nil`), as (gradient, variable) pairs.
  ///
  /// - Throws: `FrostError.invalidArgument` when the list is empty, a member is not a
  ///   variable of the loss's graph, or differentiation fails.
  public func computeGradients(_ loss: Tensor, varList: [Tensor]? = nil) throws
    -> [GradientAndVariable]
  {
    let graph = loss.graph
    let variables = try varList ?? graph.trainableVariables()
    guard !variables.isEmpty else {
      throw FrostError.invalidArgument("\(name): no variables to optimize")
    }
    for variable in variables {
      guard variable.graph === graph, variable.isVariable else {
        throw FrostError.invalidArgument(
          "\(name): '\(variable.name)' is not a variable of the loss's graph")
      }
    }
    let grads = try gradients(of: [loss], withRespectTo: variables)
    return zip(grads, variables).map { GradientAndVariable(gradient: $0, variable: $1) }
  }

  /// One training step's op: updates every variable that has a gradient, then increments
  /// `globalStep` (an int32 variable) when given. Variables not in `pairs` are never
  /// written.
  ///
  /// - Throws: `FrostError.invalidArgument` when no pair has a gradient, a gradient does
  ///   not match its variable, or `globalStep` is not an int32 scalar variable.
  public func applyGradients(
    _ pairs: [GradientAndVariable], globalStep: Tensor? = nil
  ) throws -> Operation {
    let present = pairs.compactMap { pair in pair.gradient.map { ($0, pair.variable) } }
    guard let graph = present.first?.1.graph else {
      throw FrostError.invalidArgument(
        "\(name): no gradients; the loss depends on none of the variables "
          + pairs.map { "'\($0.variable.name)'" }.joined(separator: ", "))
    }
    if let globalStep {
      guard globalStep.isVariable, globalStep.dtype == .int32, globalStep.shape == .scalar else {
        throw FrostError.invalidArgument(
          "\(name): global step '\(globalStep.name)' must be an int32 scalar variable")
      }
    }
    return try graph.atomically {
      var state = OptimizerState(graph: graph)
      var (updates, scope): ([Operation], String) = try graph.withNameScope(name) {
        var updates: [Operation] = []
        var rates: [DType: Tensor] = [:]
        for (gradient, variable) in present {
          let learningRate =
            try rates[variable.dtype] ?? learningRate.tensor(in: graph, dtype: variable.dtype)
          rates[variable.dtype] = learningRate
          let update = try graph.withNameScope("update_" + variable.op.name) {
            try applyDense(
              gradient: gradient, variable: variable, learningRate: learningRate, state: &state)
          }
          updates.append(update)
        }
        updates += try finish(updates: updates, state: &state)
        return (updates, graph.currentNameScope)
      }
      if let globalStep {
        let increment = try graph.withNameScope(scope) {
          try graph.withControlDependencies(updates) {
            try assign(globalStep, globalStep + graph.constant(1, dtype: .int32))
          }
        }
        updates.append(increment)
      }
      return try graph.group(
        updates, name: String(scope.dropLast().split(separator: "/").last!),
        takesScopeName: true)
    }
  }

  /// `computeGradients` then `applyGradients`: the training op (TensorFlow's `minimize`).
  ///
  /// - Throws: as `computeGradients` and `applyGradients`.
  public func minimize(_ loss: Tensor, varList: [Tensor]? = nil, globalStep: Tensor? = nil)
    throws -> Operation
  {
    try loss.graph.atomically {
      try applyGradients(computeGradients(loss, varList: varList), globalStep: globalStep)
    }
  }

  /// A slot variable of `variable`, named `VARIABLE/NAME` like TensorFlow's, filled with
  /// `value`, not trainable.
  func slot(_ variable: Tensor, named slotName: String, filledWith value: Double) throws
    -> Tensor
  {
    let graph = variable.graph
    return try graph.withNameScope(variable.op.name + "/") {
      try graph.makeVariable(type: variable.type, trainable: false, name: slotName) {
        try graph.fill(shape: variable.shape.concrete!, value: value, dtype: variable.dtype)
      }
    }
  }
}

/// Plain gradient descent: `variable -= learningRate * gradient`.
public struct GradientDescentOptimizer: Optimizer {
  /// The learning rate.
  public let learningRate: LearningRate
  /// `GradientDescent`.
  public let name: String

  /// An optimizer with the given learning rate.
  public init(learningRate: LearningRate, name: String = "GradientDescent") {
    self.learningRate = learningRate
    self.name = name
  }

  /// The `ApplyGradientDescent` op of `variable`.
  public func applyDense(
    gradient: Tensor, variable: Tensor, learningRate: Tensor, state: inout OptimizerState
  ) throws -> Operation {
    try state.graph.addNode(
      Ops.applyGradientDescent, inputs: [variable, learningRate, gradient],
      name: "ApplyGradientDescent")
  }
}

/// Momentum (TensorFlow's `MomentumOptimizer`): `accumulation = momentum * accumulation +
/// gradient`, then `variable -= learningRate * accumulation`, or with Nesterov
/// `variable -= learningRate * (gradient + momentum * accumulation)`. Slot: `Momentum`.
public struct MomentumOptimizer: Optimizer {
  /// The learning rate.
  public let learningRate: LearningRate
  /// The decay of the accumulation.
  public let momentum: Double
  /// Whether to use Nesterov momentum.
  public let useNesterov: Bool
  /// `Momentum`.
  public let name: String

  /// An optimizer with the given learning rate and momentum.
  public init(
    learningRate: LearningRate, momentum: Double, useNesterov: Bool = false,
    name: String = "Momentum"
  ) {
    self.learningRate = learningRate
    self.momentum = momentum
    self.useNesterov = useNesterov
    self.name = name
  }

  /// Creates the `Momentum` slot and the `ApplyMomentum` op of `variable`.
  public func applyDense(
    gradient: Tensor, variable: Tensor, learningRate: Tensor, state: inout OptimizerState
  ) throws -> Operation {
    let accumulation = try slot(variable, named: name, filledWith: 0)
    return try state.graph.addNode(
      Ops.applyMomentum, inputs: [variable, accumulation, learningRate, gradient],
      attributes: ["momentum": .double(momentum), "useNesterov": .bool(useNesterov)],
      name: "ApplyMomentum")
  }
}

/// AdaGrad (TensorFlow's `AdagradOptimizer`): `accumulator += gradient²`, then
/// `variable -= learningRate * gradient / sqrt(accumulator)`. Slot: `Adagrad`, starting at
/// `initialAccumulatorValue` (0.1, TensorFlow's default).
public struct AdagradOptimizer: Optimizer {
  /// The learning rate.
  public let learningRate: LearningRate
  /// The accumulators' starting value.
  public let initialAccumulatorValue: Double
  /// `Adagrad`.
  public let name: String

  /// An optimizer with the given learning rate.
  public init(
    learningRate: LearningRate, initialAccumulatorValue: Double = 0.1, name: String = "Adagrad"
  ) {
    self.learningRate = learningRate
    self.initialAccumulatorValue = initialAccumulatorValue
    self.name = name
  }

  /// Creates the `Adagrad` slot and the `ApplyAdagrad` op of `variable`.
  public func applyDense(
    gradient: Tensor, variable: Tensor, learningRate: Tensor, state: inout OptimizerState
  ) throws -> Operation {
    let accumulator = try slot(variable, named: name, filledWith: initialAccumulatorValue)
    return try state.graph.addNode(
      Ops.applyAdagrad, inputs: [variable, accumulator, learningRate, gradient],
      name: "ApplyAdagrad")
  }
}

/// RMSProp (TensorFlow's `RMSPropOptimizer`): `ms = decay * ms + (1 - decay) * gradient²`,
/// `mom = momentum * mom + learningRate * gradient / sqrt(ms + epsilon)`,
/// `variable -= mom`; centered, `ms - mg²` replaces `ms`, with `mg` the decayed mean
/// gradient. Slots, named in TensorFlow's order: `RMSProp` (ms, starting at 1 as in
/// TensorFlow), then `RMSProp_1` (mom); centered, `RMSProp_1` (mg) and `RMSProp_2` (mom).
public struct RMSPropOptimizer: Optimizer {
  /// The learning rate.
  public let learningRate: LearningRate
  /// The decay of the mean square (TensorFlow's `decay`, 0.9).
  public let decay: Double
  /// The momentum (0 by default).
  public let momentum: Double
  /// Added under the square root (1e-10, TensorFlow's default).
  public let epsilon: Double
  /// Whether to normalize by the variance rather than the second moment.
  public let centered: Bool
  /// `RMSProp`.
  public let name: String

  /// An optimizer with TensorFlow 1.x's defaults.
  public init(
    learningRate: LearningRate, decay: Double = 0.9, momentum: Double = 0,
    epsilon: Double = 1e-10, centered: Bool = false, name: String = "RMSProp"
  ) {
    self.learningRate = learningRate
    self.decay = decay
    self.momentum = momentum
    self.epsilon = epsilon
    self.centered = centered
    self.name = name
  }

  /// Creates the `RMSProp` slots and the `ApplyRMSProp` (or, centered,
  /// `ApplyCenteredRMSProp`) op of `variable`.
  public func applyDense(
    gradient: Tensor, variable: Tensor, learningRate: Tensor, state: inout OptimizerState
  ) throws -> Operation {
    // Made in TensorFlow's order, which numbers the slots: rms, mg (centered), momentum.
    let meanSquare = try slot(variable, named: name, filledWith: 1)
    let meanGradient = centered ? try slot(variable, named: name, filledWith: 0) : nil
    let moment = try slot(variable, named: name, filledWith: 0)
    let attributes: [String: AttributeValue] = [
      "rho": .double(decay), "momentum": .double(momentum), "epsilon": .double(epsilon),
    ]
    if let meanGradient {
      return try state.graph.addNode(
        Ops.applyCenteredRMSProp,
        inputs: [variable, meanGradient, meanSquare, moment, learningRate, gradient],
        attributes: attributes, name: "ApplyCenteredRMSProp")
    }
    return try state.graph.addNode(
      Ops.applyRMSProp, inputs: [variable, meanSquare, moment, learningRate, gradient],
      attributes: attributes, name: "ApplyRMSProp")
  }
}

/// Adam (TensorFlow's `AdamOptimizer`): `m = β₁m + (1 − β₁)g`, `v = β₂v + (1 − β₂)g²`,
/// `variable -= lr·sqrt(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (sqrt(v) + ε)`. Slots `Adam` (m) and
/// `Adam_1` (v); the powers βᵗ live in the non-trainable variables `beta1_power` and
/// `beta2_power`, updated after each step.
public struct AdamOptimizer: Optimizer {
  /// The learning rate (0.001 by default).
  public let learningRate: LearningRate
  /// The decay of the first moment.
  public let beta1: Double
  /// The decay of the second moment.
  public let beta2: Double
  /// ε̂ in TensorFlow's formula.
  public let epsilon: Double
  /// `Adam`.
  public let name: String

  /// An optimizer with TensorFlow 1.x's defaults.
  public init(
    learningRate: LearningRate = 0.001, beta1: Double = 0.9, beta2: Double = 0.999,
    epsilon: Double = 1e-8, name: String = "Adam"
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.name = name
  }

  /// Creates the `Adam` and `Adam_1` slots (and, once per call, the β powers) and the
  /// `ApplyAdam` op of `variable`.
  public func applyDense(
    gradient: Tensor, variable: Tensor, learningRate: Tensor, state: inout OptimizerState
  ) throws -> Operation {
    let graph = state.graph
    let powers = try powerVariables(state: &state, dtype: variable.dtype)
    let m = try slot(variable, named: name, filledWith: 0)
    let v = try slot(variable, named: name, filledWith: 0)
    return try graph.addNode(
      Ops.applyAdam, inputs: [variable, m, v, powers.0, powers.1, learningRate, gradient],
      attributes: [
        "beta1": .double(beta1), "beta2": .double(beta2), "epsilon": .double(epsilon),
      ],
      name: "ApplyAdam")
  }

  /// Advances `beta1_power` and `beta2_power` after every variable's update.
  public func finish(updates: [Operation], state: inout OptimizerState) throws -> [Operation] {
    let graph = state.graph
    var result: [Operation] = []
    for (key, beta) in [("beta1_power", beta1), ("beta2_power", beta2)] {
      guard let power = state.shared[key] else { continue }
      let update = try graph.withControlDependencies(updates) {
        try assign(power, power * beta, name: "update_" + key)
      }
      result.append(update)
    }
    return result
  }

  private func powerVariables(state: inout OptimizerState, dtype: DType) throws
    -> (Tensor, Tensor)
  {
    if let one = state.shared["beta1_power"], let two = state.shared["beta2_power"] {
      return (one, two)
    }
    let graph = state.graph
    let (one, two) = try graph.withNameScope("/") {
      (
        try graph.variable(
          NDArray.filled(beta1, shape: [], dtype: dtype), trainable: false, name: "beta1_power"),
        try graph.variable(
          NDArray.filled(beta2, shape: [], dtype: dtype), trainable: false, name: "beta2_power")
      )
    }
    state.shared["beta1_power"] = one
    state.shared["beta2_power"] = two
    return (one, two)
  }
}
