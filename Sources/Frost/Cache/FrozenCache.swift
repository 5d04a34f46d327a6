import Foundation

/// The values of a frozen tensor (hidden2) for a whole dataset, computed once and fed in
/// its place afterwards: the technique of "caching the frozen layers", made a checked
/// operation.
///
/// Building a cache refuses a tensor that is not a pure function of the data: a variable
/// upstream that the training op writes, a random op on the path (dropout), or a behaviour
/// switch (`placeholderWithDefault`, batch norm's `training` flag) that is not pinned by a
/// feed. The cache remembers the upstream variables' versions and a fingerprint of the
/// input; `checkFresh(in:)` refuses it once a restore or an assign changed what it was
/// computed from.
public struct FrozenCache: Sendable {
  /// The cached tensor (hidden2).
  public let tensor: Tensor
  /// Where the dataset was fed (X).
  public let input: Tensor
  /// The stacked values: one row per row of the dataset.
  public let values: NDArray
  /// The fingerprint of the dataset the values were computed from.
  public let inputFingerprint: Fingerprint
  /// What the values depend on: the upstream variables, each with its version in the
  /// session and a fingerprint of its value when the cache was built.
  public let dependencies: [Dependency]
  /// Feeds that pinned behaviour switches while the cache was built.
  public let pinned: [String: NDArray]

  /// One upstream variable of a cache.
  public struct Dependency: Sendable {
    /// The variable.
    public let variable: Tensor
    /// Its version in the session that built the cache.
    public let version: UInt64
    /// A fingerprint of its value when the cache was built.
    public let fingerprint: Fingerprint
  }

  /// A fingerprint of everything the values depend on: the tensor's name, the input's
  /// fingerprint, the pinned feeds and every upstream variable's value.
  public var fingerprint: Fingerprint {
    var hasher = FingerprintHasher()
    hasher.combine(text: tensor.name)
    hasher.combine(inputFingerprint)
    for key in pinned.keys.sorted() {
      hasher.combine(text: key)
      hasher.combine(Fingerprint(pinned[key]!))
    }
    for dependency in dependencies {
      hasher.combine(text: dependency.variable.name)
      hasher.combine(dependency.fingerprint)
    }
    return hasher.finish()
  }

  /// Throws unless every upstream variable still has the version it had when the cache was
  /// built in `session`.
  ///
  /// - Throws: `FrostError.failedPrecondition` naming the cached tensor and the variable
  ///   that changed since (a restore, an assign, a training step below the cut).
  public func checkFresh(in session: Session) throws {
    for dependency in dependencies {
      let version = try session.version(of: dependency.variable)
      guard version == dependency.version else {
        throw FrostError.failedPrecondition(
          "the cache of '\(tensor.name)' is stale: variable '\(dependency.variable.name)'"
            + " changed since it was built (version \(dependency.version), now \(version));"
            + " build the cache again")
      }
    }
  }

  /// The cached rows `range` to feed at `tensor`, after checking the cache is fresh.
  ///
  /// - Throws: as `checkFresh(in:)`, or `FrostError.invalidArgument` for a bad range.
  public func rows(_ range: Range<Int>, in session: Session) throws -> NDArray {
    try checkFresh(in: session)
    return try values.rows(range)
  }
}

/// How a cache build reports progress.
public enum CacheProgress: Sendable {
  /// A progress bar on standard error when it is a terminal, nothing otherwise.
  case automatic
  /// Nothing.
  case silent
  /// A progress bar on standard error.
  case bar
}

extension Session {
  /// Evaluates `tensor` for every row of `data` fed at `input`, `batchSize` rows at a time,
  /// and returns the stacked values as a checked cache.
  ///
  /// - Parameters:
  ///   - trainingOp: the training op the cache will serve; no variable upstream of
  ///     `tensor` may be one it writes.
  ///   - varList: alternatively, the variables that will be trained.
  ///   - pinned: feeds that fix behaviour switches (batch norm's `training` flag) while
  ///     the cache is built.
  /// - Throws: `FrostError.failedPrecondition` naming the culprit when `tensor` is not a
  ///   pure function of the data (a trained variable, a random op or an unpinned switch
  ///   upstream), `FrostError.invalidArgument` for bad arguments, or any error of the runs.
  public func buildCache(
    of tensor: Tensor, feeding input: Tensor, with data: NDArray, batchSize: Int = 1_000,
    trainingOp: Operation? = nil, varList: [Tensor]? = nil, pinned: [Tensor: NDArray] = [:],
    progress: CacheProgress = .automatic
  ) throws -> FrozenCache {
    guard batchSize > 0 else {
      throw FrostError.invalidArgument("buildCache: batch size \(batchSize) is not positive")
    }
    guard let rowCount = data.shape.first else {
      throw FrostError.invalidArgument("buildCache: the data is a scalar, not rows")
    }
    let dependencies = try cacheDependencies(
      of: tensor, input: input, trainingOp: trainingOp, varList: varList, pinned: pinned)

    // Evaluate batch by batch into one preallocated array.
    var feeds = pinned
    var result: NDArray?
    let reporter = ProgressReporter(
      label: "caching \(tensor.name)", total: rowCount, mode: progress)
    var start = 0
    repeat {
      let end = min(start + batchSize, rowCount)
      feeds[input] = try data.rows(start..<end)
      let batch = try run(tensor, feedDict: feeds)
      guard batch.shape.first == end - start else {
        throw FrostError.invalidArgument(
          "buildCache: '\(tensor.name)' does not have one row per row of '\(input.name)'")
      }
      if result == nil {
        result = NDArray(
          dtype: batch.dtype, shape: [rowCount] + batch.shape.dropFirst(),
          storage: TensorStorage(
            byteCount: rowCount * batch.byteCount / max(end - start, 1), zeroed: false))
      }
      let rowBytes = batch.byteCount / max(end - start, 1)
      (result!.rawPointer + start * rowBytes).copyMemory(
        from: batch.rawPointer, byteCount: batch.byteCount)
      reporter.update(end)
      start = end
    } while start < rowCount
    reporter.finish()

    return FrozenCache(
      tensor: tensor, input: input, values: result!, inputFingerprint: Fingerprint(data),
      dependencies: try snapshotDependencies(dependencies),
      pinned: Dictionary(uniqueKeysWithValues: pinned.map { ($0.key.name, $0.value) }))
  }

  /// Each variable's version in this session and a fingerprint of its value, read together.
  ///
  /// - Throws: `FrostError.uninitializedVariable` for a variable without a value.
  func snapshotDependencies(_ variables: [Tensor]) throws -> [FrozenCache.Dependency] {
    try variables.map { variable in
      let record = try variableRecord(variable)
      let (version, value, initialized) = stateLock.withReadLock {
        (record.version, record.snapshot(), record.isInitialized)
      }
      guard initialized else { throw FrostError.uninitializedVariable(record.name) }
      return FrozenCache.Dependency(
        variable: variable, version: version, fingerprint: Fingerprint(value))
    }
  }

  /// The variables `tensor` depends on when `input` and `pinned` are fed, after refusing
  /// anything that makes it other than a pure function of the input.
  func cacheDependencies(
    of tensor: Tensor, input: Tensor, trainingOp: Operation?, varList: [Tensor]?,
    pinned: [Tensor: NDArray]
  ) throws -> [Tensor] {
    for other in [input] + Array(pinned.keys) + (varList ?? []) where other.graph !== graph {
      throw FrostError.invalidArgument("buildCache: '\(other.name)' belongs to another graph")
    }
    guard tensor.graph === graph else {
      throw FrostError.invalidArgument("buildCache: '\(tensor.name)' belongs to another graph")
    }
    var fed = Set(pinned.keys.map(\.endpoint))
    fed.insert(input.endpoint)
    let analysis = PlanAnalysis(
      graph: graph, fetches: [tensor.endpoint], feeds: fed, targets: [])
    if let missing = analysis.missingFeeds.first {
      throw FrostError.missingFeed(
        placeholder: graph.node(missing.placeholder).name, neededBy: tensor.name)
    }
    guard analysis.cuts.contains(input.endpoint) else {
      throw FrostError.invalidArgument(
        "buildCache: '\(tensor.name)' does not depend on '\(input.name)'")
    }

    // Which variables will be trained.
    var trained = Set((varList ?? []).map(\.endpoint.node))
    var trainer = varList.map { _ in "the var list" }
    if let trainingOp {
      guard trainingOp.graph === graph else {
        throw FrostError.invalidArgument(
          "buildCache: training op '\(trainingOp.name)' belongs to another graph")
      }
      trainer = "training op '\(trainingOp.name)'"
      let training = PlanAnalysis(graph: graph, fetches: [], feeds: [], targets: [trainingOp.id])
      for id in training.schedule {
        let node = graph.node(id)
        for index in node.op.writtenInputs { trained.insert(node.inputs[index].node) }
      }
    }

    var variables: [Tensor] = []
    for id in analysis.schedule {
      let node = graph.node(id)
      if node.op === Ops.variable {
        if trained.contains(id) {
          throw FrostError.failedPrecondition(
            "cannot cache '\(tensor.name)': variable '\(node.name)' below it is trained by"
              + " \(trainer ?? "the training op"); freeze it or cache a tensor above it")
        }
        variables.append(Tensor(graph: graph, endpoint: Endpoint(node: id, index: 0)))
      }
      if node.op.traits.contains(.random) {
        throw FrostError.failedPrecondition(
          "cannot cache '\(tensor.name)': random op '\(node.name)' (\(node.op.name)) is on"
            + " the path from '\(input.name)', so its values change from run to run")
      }
      if node.op.traits.contains(.switchable) {
        throw FrostError.failedPrecondition(
          "cannot cache '\(tensor.name)': '\(node.name)' switches behaviour unless fed"
            + " (a training flag?); pin its value with `pinned:`")
      }
    }
    return variables
  }
}

/// A one-line progress bar on standard error.
final class ProgressReporter {
  private let label: String
  private let total: Int
  private let enabled: Bool
  private var lastDrawn = -1

  init(label: String, total: Int, mode: CacheProgress) {
    self.label = label
    self.total = max(total, 1)
    switch mode {
    case .automatic: enabled = isatty(2) != 0
    case .silent: enabled = false
    case .bar: enabled = true
    }
  }

  func update(_ done: Int) {
    guard enabled else { return }
    let percent = done * 100 / total
    guard percent != lastDrawn else { return }
    lastDrawn = percent
    let width = 30
    let filled = percent * width / 100
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
  }

  func finish() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\n".utf8))
  }
}

extension FrozenCache {
  /// Writes the values to a safetensors file at `path` (key `values`), with the fingerprint
  /// of everything they depend on in its metadata, so that `Session.loadCache` can reuse
  /// them in a later process while they are still valid.
  ///
  /// - Throws: `FrostError.io` naming the path.
  public func save(to path: String) throws {
    try SafetensorsFile.write(
      ["values": values],
      metadata: [
        "frost.cache.tensor": tensor.name, "frost.cache.input": input.name,
        "frost.cache.fingerprint": fingerprint.description,
      ],
      to: path)
  }
}

extension Session {
  /// Loads a cache written by `FrozenCache.save(to:)`, but only if it is still valid: the
  /// same tensor, the same input data, the same pinned feeds and the same values of every
  /// upstream variable as when it was computed (their fingerprints must match).
  ///
  /// - Throws: `FrostError.failedPrecondition` when the file's cache is stale or for
  ///   another tensor (build it again), the refusals of `buildCache`, or the file's errors.
  public func loadCache(
    from path: String, of tensor: Tensor, feeding input: Tensor, with data: NDArray,
    trainingOp: Operation? = nil, varList: [Tensor]? = nil, pinned: [Tensor: NDArray] = [:]
  ) throws -> FrozenCache {
    let file = try SafetensorsFile(path: path)
    guard file.metadata["frost.cache.tensor"] == tensor.name else {
      throw FrostError.failedPrecondition(
        "\(path) caches '\(file.metadata["frost.cache.tensor"] ?? "nothing")',"
          + " not '\(tensor.name)'")
    }
    let variables = try cacheDependencies(
      of: tensor, input: input, trainingOp: trainingOp, varList: varList, pinned: pinned)
    let dependencies = try snapshotDependencies(variables)
    var candidate = FrozenCache(
      tensor: tensor, input: input, values: try NDArray(zeros: [0]),
      inputFingerprint: Fingerprint(data), dependencies: dependencies,
      pinned: Dictionary(uniqueKeysWithValues: pinned.map { ($0.key.name, $0.value) }))
    guard file.metadata["frost.cache.fingerprint"] == candidate.fingerprint.description else {
      throw FrostError.failedPrecondition(
        "\(path) is stale: '\(tensor.name)' was cached from other data or other values of"
          + " its variables; build the cache again")
    }
    let values = try file.array(named: "values")
    guard values.shape.first == data.shape.first else {
      throw FrostError.invalidFile(
        path: path,
        reason: "'values' has \(values.shape.first ?? 0) rows, the data \(data.shape.first ?? 0)")
    }
    candidate = FrozenCache(
      tensor: tensor, input: input, values: values, inputFingerprint: candidate.inputFingerprint,
      dependencies: dependencies, pinned: candidate.pinned)
    return candidate
  }
}
