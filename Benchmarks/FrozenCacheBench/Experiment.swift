import Foundation
import Frost

/// Monotonic seconds.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// The median of some numbers (the mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  guard !sorted.isEmpty else { return .nan }
  let middle = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// One epoch of one mode.
struct EpochRecord {
  let mode: String
  let epoch: Int
  let seconds: Double
  let trainingLoss: Double
  let validationAccuracy: Double
}

/// A live progress line on standard error, when it is a terminal.
struct ProgressLine {
  let enabled = isatty(2) != 0

  func show(_ text: String) {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
  }

  func clear() {
    guard enabled else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}

/// Trains one epoch the book's way: a seeded permutation of the rows, split into
/// `batches` nearly equal batches (numpy's `array_split`), each gathered and fed at `feed`.
/// Returns the seconds it took (shuffle and gathers included) and how many tensor buffers
/// the training runs themselves allocated.
func trainEpoch(
  _ session: Session, _ model: Model, feed: Tensor, inputs: NDArray, labels: NDArray,
  batches: Int, seed: UInt64, progress: ProgressLine, label: String
) throws -> (seconds: Double, allocations: Int) {
  let start = now()
  let rows = labels.shape[0]
  let permutation = try randomPermutation(rows, seed: seed)
  var allocations = 0
  for (index, range) in try arraySplitRanges(rows, into: batches).enumerated() {
    let indices = Array(permutation[range])
    let batch = try inputs.gatheringRows(indices)
    let batchLabels = try labels.gatheringRows(indices)
    let before = StorageDiagnostics.allocationCount
    try session.run(model.trainingOp, feedDict: [feed: batch, model.y: batchLabels])
    allocations += StorageDiagnostics.allocationCount - before
    if progress.enabled, index % 25 == 0 {
      progress.show("\(label): batch \(index + 1)/\(batches)")
    }
  }
  return (now() - start, allocations)
}
