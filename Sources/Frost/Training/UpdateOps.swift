// The in-place update ops behind the optimizers, with TensorFlow 1.x's update rules.
// Each writes its variable and slots where they live, so a training step allocates
// nothing for them.

/// One optimizer's update rule, applied elementwise in place. `slots` are the
/// optimizer's per-variable state (accumulators, moments), `lr` the learning rate (for
/// Adam already bias-corrected).
protocol UpdateRule: Sendable {
  /// How many slot variables the rule keeps per variable.
  static var slotCount: Int { get }
  init(_ attributes: Attributes)
  func update<T: FloatScalar>(
    _ values: UnsafeMutablePointer<T>, _ slots: [UnsafeMutablePointer<T>], _ lr: T,
    _ g: UnsafePointer<T>, _ count: Int)
}

struct GradientDescentRule: UpdateRule {
  static let slotCount = 0
  init(_ attributes: Attributes) {}
  func update<T: FloatScalar>(
    _ values: UnsafeMutablePointer<T>, _ slots: [UnsafeMutablePointer<T>], _ lr: T,
    _ g: UnsafePointer<T>, _ count: Int
  ) {
    T.axpy(count: count, alpha: -lr, x: g, y: values)
  }
}

struct MomentumRule: UpdateRule {
  static let slotCount = 1
  let momentum: Double
  let useNesterov: Bool
  init(_ attributes: Attributes) {
    momentum = attributes.double("momentum")
    useNesterov = attributes.bool("useNesterov")
  }
  func update<T: FloatScalar>(
    _ values: UnsafeMutablePointer<T>, _ slots: [UnsafeMutablePointer<T>], _ lr: T,
    _ g: UnsafePointer<T>, _ count: Int
  ) {
    let accumulator = slots[0]
    let mu = T(fromDouble: momentum)
    for i in 0..<count {
      accumulator[i] = accumulator[i] * mu + g[i]
      values[i] -= useNesterov ? g[i] * lr + accumulator[i] * mu * lr : lr * accumulator[i]
    }
  }
}

struct AdagradRule: UpdateRule {
  static let slotCount = 1
  init(_ attributes: Attributes) {}
  func update<T: FloatScalar>(
    _ values: UnsafeMutablePointer<T>, _ slots: [UnsafeMutablePointer<T>], _ lr: T,
    _ g: UnsafePointer<T>, _ count: Int
  ) {
    let accumulator = slots[0]
    for i in 0..<count {
      accumulator[i] += g[i] * g[i]
      values[i] -= lr * g[i] / accumulator[i].squareRoot()
    }
  }
}

/// TensorFlow 1.x's RMSProp: slots are the mean square and the moment (and, centered,
/// the mean gradient first).
struct RMSPropRule: UpdateRule {
  static let slotCount = 2
  let rho: Double
  let momentum: Double
  let epsilon: Double
  init(_ attributes: Attributes) {
    rho = attributes.double("rho")
    momentum = attributes.double("momentum")
    epsilon = attributes.double("epsilon")
  }
  func update<T: FloatScalar>(
    _ values: UnsafeMutablePointer<T>, _ slots: [UnsafeMutablePointer<T>], _ lr: T,
    _ g: UnsafePointer<T>, _ count: Int
  ) {
    let (meanSquare, moment) = (slots[0], slots[1])
    let (decay, mu, eps) = (T(fromDouble: rho), T(fromDouble: momentum), T(fromDouble: epsilon))
    for i in 0..<count {
      meanSquare[i] = decay * meanSquare[i] + (1 - decay) * g[i] * g[i]
      moment[i] = mu * moment[i] + lr * g[i] / (meanSquare[i] + eps).squareRoot()
      values[i] -= moment[i]
    }
  }
}

struct CenteredRMSPropRule: UpdateRule {
  static let slotCount = 3
  let base: RMSPropRule
  init(_ attributes: Attributes) { base = RMSPropRule(attributes) }
  func update<T: FloatScalar>(
    _ values: UnsafeMutablePointer<T>, _ slots: [UnsafeMutablePointer<T>], _ lr: T,
    _ g: UnsafePointer<T>, _ count: Int
  ) {
    let (meanGradient, meanSquare, moment) = (slots[0], slots[1], slots[2])
    let decay = T(fromDouble: base.rho)
    let (mu, eps) = (T(fromDouble: base.momentum), T(fromDouble: base.epsilon))
    for i in 0..<count {
      meanSquare[i] = decay * meanSquare[i] + (1 - decay) * g[i] * g[i]
      meanGradient[i] = decay * meanGradient[i] + (1 - decay) * g[i]
      let denominator = meanSquare[i] - meanGradient[i] * meanGradient[i] + eps
      moment[i] = mu * moment[i] + lr * g[i] / denominator.squareRoot()
      values[i] -= moment[i]
    }
  }
}

/// Adam; the executor passes `lr · sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ)` as `lr`.
struct AdamRule: UpdateRule {
  static let slotCount = 2
  let beta1: Double
  let beta2: Double
  let epsilon: Double
  init(_ attributes: Attributes) {
    beta1 = attributes.double("beta1")
    beta2 = attributes.double("beta2")
    epsilon = attributes.double("epsilon")
  }
  func update<T: FloatScalar>(
    _ values: UnsafeMutablePointer<T>, _ slots: [UnsafeMutablePointer<T>], _ lr: T,
    _ g: UnsafePointer<T>, _ count: Int
  ) {
    let (m, v) = (slots[0], slots[1])
    let (b1, b2, eps) = (T(fromDouble: beta1), T(fromDouble: beta2), T(fromDouble: epsilon))
    for i in 0..<count {
      m[i] = b1 * m[i] + (1 - b1) * g[i]
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
      values[i] -= lr * m[i] / (v[i].squareRoot() + eps)
    }
  }
}

extension Ops {
  static let applyGradientDescent = updateOp("ApplyGradientDescent", GradientDescentRule.self)
  static let applyMomentum = updateOp("ApplyMomentum", MomentumRule.self)
  static let applyAdagrad = updateOp("ApplyAdagrad", AdagradRule.self)
  static let applyRMSProp = updateOp("ApplyRMSProp", RMSPropRule.self)
  static let applyCenteredRMSProp = updateOp("ApplyCenteredRMSProp", CenteredRMSPropRule.self)
  static let applyAdam = updateOp("ApplyAdam", AdamRule.self, biasCorrected: true)

  static let updateOps: [OpDefinition] = [
    applyGradientDescent, applyMomentum, applyAdagrad, applyRMSProp, applyCenteredRMSProp,
    applyAdam,
  ]
}

/// An update op's inputs: the variable, its slots, (for Adam the powers β₁ᵗ and β₂ᵗ,) the
/// learning rate, the gradient. It writes the variable and its slots.
private func updateOp<Rule: UpdateRule>(
  _ name: String, _ rule: Rule.Type, biasCorrected: Bool = false
) -> OpDefinition {
  let slots = Rule.slotCount
  let scalars = biasCorrected ? 3 : 1
  return OpDefinition(
    name, traits: [.readsWrittenVariables], writes: Array(0...slots),
    infer: { context in
      _ = try context.sameDType(DType.floats)
      let variable = context.inputs[0].shape
      for i in 0...slots where !context.inputs[i].shape.isCompatible(with: variable) {
        throw context.error("slot \(context.describeInput(i)) does not match the variable")
      }
      for i in (slots + 1)...(slots + scalars) where (context.inputs[i].shape.rank ?? 0) != 0 {
        throw context.error("\(context.describeInput(i)) must be a scalar")
      }
      let gradient = slots + scalars + 1
      guard context.inputs[gradient].shape.isCompatible(with: variable) else {
        throw context.error(
          "gradient \(context.describeInput(gradient)) does not match variable"
            + " \(context.describeInput(0))")
      }
      return []
    },
    kernel: { setup in
      let rule = Rule(setup.attributes)
      func make<T: FloatScalar>(_ type: T.Type) -> Kernel {
        { io in
          let variable = io.input(0)
          let slotPointers = (0..<slots).map { io.input(1 + $0).pointer(T.self) }
          var lr = io.input(slots + scalars).pointer(T.self)[0]
          if biasCorrected {
            let beta1Power = io.input(slots + 1).pointer(T.self)[0]
            let beta2Power = io.input(slots + 2).pointer(T.self)[0]
            lr = lr * (1 - beta2Power).squareRoot() / (1 - beta1Power)
          }
          rule.update(
            variable.pointer(T.self), slotPointers, lr,
            io.input(slots + scalars + 1).pointer(T.self), variable.count)
        }
      }
      return try dispatch(setup, float32: { make(Float.self) }, float64: { make(Double.self) })
    })
}
