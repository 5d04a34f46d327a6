import Foundation
import Frost

/// Runs the whole experiment and gathers every figure of the report.
func runExperiment(_ options: Options) throws -> Report {
  let progress = ProgressLine()
  var report = Report(options: options)
  let blas = blasDescription()
  report.blasConfig = blas.config
  report.blasCore = blas.core
  report.blasThreads = blas.threads

  // Data: 55,000 / 5,000 / 10,000.
  var start = now()
  progress.show("loading \(options.dataDirectory)")
  let data = try MNISTDataset.load(from: options.dataDirectory)
  report.loadSeconds = now() - start
  let train = data.train
  report.trainRows = train.count
  let rows = train.count + data.validation.count + data.test.count
  report.dataBytes = rows * (784 + 1) * 4

  // The machine's ceiling and the engine's per-run overhead.
  progress.show("measuring the 2048³ sgemm ceiling")
  report.ceilingGFLOPS = largeGEMMRates(repeats: options.repeats)
  progress.show("measuring Session.run overhead")
  report.runOverheadMicroseconds = try trivialRunOverhead(repeats: options.repeats)

  // Model A: pretrain every layer, save hidden1 and hidden2 (or take a given checkpoint).
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("frozen-cache-bench-\(getpid())")
  try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  let checkpoint: String
  if let given = options.pretrained {
    checkpoint = given
  } else {
    checkpoint = directory.appendingPathComponent("pretrained.safetensors").path
    start = now()
    let modelA = try Model(seed: options.seed &+ 1_000, trainScope: nil, learningRate: 0.1)
    let sessionA = Session(graph: modelA.graph)
    try sessionA.run(modelA.graph.globalVariablesInitializer())
    for epoch in 0..<options.pretrainEpochs {
      _ = try trainEpoch(
        sessionA, modelA, feed: modelA.x, inputs: train.images, labels: train.labels,
        batches: options.batches, seed: options.seed &+ 10_000 &+ UInt64(epoch),
        progress: progress, label: "pretraining epoch \(epoch + 1)/\(options.pretrainEpochs)")
    }
    report.pretrainAccuracy = try modelA.meanAccuracy(
      sessionA, feed: modelA.x, inputs: data.validation.images, labels: data.validation.labels)
    try Saver(varList: try modelA.frozenVariables()).save(sessionA, to: checkpoint)
    report.pretrainSeconds = now() - start
  }

  // Model B: fresh upper layers, hidden1 and hidden2 restored and frozen. Two sessions
  // start from identical weights: one trains uncached, one cached.
  let model = try Model(seed: options.seed, trainScope: "hidden[34]|outputs", learningRate: 0.01)
  let sessions = try (0..<2).map { _ in
    let session = Session(graph: model.graph)
    try session.run(model.graph.globalVariablesInitializer())
    try Saver(varList: try model.frozenVariables()).restore(session, from: checkpoint)
    return session
  }
  let (uncached, cached) = (sessions[0], sessions[1])
  report.weightBytes = model.graph.globalVariables().reduce(0) {
    $0 + $1.shape.elementCount! * $1.dtype.byteSize
  }

  // hidden2 for the whole training set, to measure the training loss of both modes the
  // same way (not timed).
  progress.show("evaluating hidden2 for the training loss")
  let evaluation = try uncached.buildCache(
    of: model.hidden2, feeding: model.x, with: train.images, batchSize: 5_000,
    trainingOp: model.trainingOp, progress: .silent)

  func record(_ mode: String, _ session: Session, epoch: Int, seconds: Double) throws {
    let entry = EpochRecord(
      mode: mode, epoch: epoch, seconds: seconds,
      trainingLoss: try model.meanLoss(
        session, feed: model.hidden2, inputs: evaluation.values, labels: train.labels),
      validationAccuracy: try model.meanAccuracy(
        session, feed: model.x, inputs: data.validation.images,
        labels: data.validation.labels))
    report.epochs.append(entry)
    progress.clear()
    print(report.epochRow(entry))
  }
  print(report.header())
  let trainingBatch = (train.count + options.batches - 1) / options.batches
  // The floors: the step's GEMMs alone, at the real shapes, with OpenBLAS's own threading.
  // The machine is shared and its speed drifts, so they are measured before the training
  // and again after it.
  func measureFloors() {
    for (mode, uncachedShapes) in [("uncached", true), ("cached", false)] {
      let shapes = stepGEMMs(batch: trainingBatch, uncached: uncachedShapes)
      report.flopsPerEpoch[mode] = shapes.reduce(0) { $0 + $1.flops } * Double(options.batches)
      report.floorSeconds[mode, default: []] += gemmFloor(
        shapes, steps: options.batches, repeats: options.repeats)
    }
  }
  progress.show("measuring the GEMM floors")
  measureFloors()

  // Uncached: feed X every step; every epoch runs hidden1 and hidden2 again. Each mode's
  // epochs run back to back, as a user trains: alternating them would also measure the
  // other mode's data evicting this one's from the caches.
  for epoch in 1...options.epochs {
    let result = try trainEpoch(
      uncached, model, feed: model.x, inputs: train.images, labels: train.labels,
      batches: options.batches, seed: options.seed &+ UInt64(epoch), progress: progress,
      label: "uncached epoch \(epoch)/\(options.epochs)")
    if epoch > 1 { report.steadyAllocations["uncached", default: 0] += result.allocations }
    try record("uncached", uncached, epoch: epoch, seconds: result.seconds)
  }

  // Cached: build hidden2 for the training set once, then feed it.
  start = now()
  let cache = try cached.buildCache(
    of: model.hidden2, feeding: model.x, with: train.images,
    batchSize: options.cacheBatch ?? trainingBatch, trainingOp: model.trainingOp)
  report.cacheBuildSeconds = now() - start
  report.cacheBytes = cache.values.count * cache.values.dtype.byteSize
  for epoch in 1...options.epochs {
    try cache.checkFresh(in: cached)
    let result = try trainEpoch(
      cached, model, feed: model.hidden2, inputs: cache.values, labels: train.labels,
      batches: options.batches, seed: options.seed &+ UInt64(epoch), progress: progress,
      label: "cached epoch \(epoch)/\(options.epochs)")
    if epoch > 1 { report.steadyAllocations["cached", default: 0] += result.allocations }
    try record("cached", cached, epoch: epoch, seconds: result.seconds)
  }

  // Final accuracies and the agreement of the two modes' weights.
  for (mode, session) in [("uncached", uncached), ("cached", cached)] {
    report.validationAccuracy[mode] = try model.meanAccuracy(
      session, feed: model.x, inputs: data.validation.images, labels: data.validation.labels)
    report.testAccuracy[mode] = try model.meanAccuracy(
      session, feed: model.x, inputs: data.test.images, labels: data.test.labels)
  }
  for variable in model.trained {
    let a = try uncached.run(variable).scalars(as: Float.self)
    let b = try cached.run(variable).scalars(as: Float.self)
    let difference = zip(a, b).map { Double(Swift.abs($0 - $1)) }.max() ?? 0
    report.weightDifference = max(report.weightDifference, difference)
  }

  progress.show("measuring the GEMM floors again")
  measureFloors()
  report.cacheBuildFlops = 2 * Double(train.count) * (784 * 300 + 300 * 50)
  progress.clear()
  report.peakBytes = peakResidentBytes()
  if options.profile {
    report.profiles = try profileSteps(model, cached: cached, cache: cache, train: train)
  }
  return report
}

/// Per-kernel timings of the cached and the uncached training step.
func profileSteps(_ model: Model, cached: Session, cache: FrozenCache, train: LabeledData)
  throws -> [String: [KernelTiming]]
{
  let rows = 0..<110
  let labels = try train.labels.rows(rows)
  return [
    "cached": try cached.profile(
      targets: [model.trainingOp],
      feedDict: [model.hidden2: try cache.values.rows(rows), model.y: labels], runs: 500),
    "uncached": try cached.profile(
      targets: [model.trainingOp],
      feedDict: [model.x: try train.images.rows(rows), model.y: labels], runs: 200),
  ]
}
