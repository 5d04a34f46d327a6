import Foundation
import Frost

/// Every figure the benchmark measures, and their renderings.
struct Report {
  let options: Options
  var blasConfig = ""
  var blasCore = ""
  var blasThreads = 0
  var loadSeconds = 0.0
  var trainRows = 0
  var pretrainSeconds: Double?
  var pretrainAccuracy: Double?
  var dataBytes = 0
  var weightBytes = 0
  var cacheBytes = 0
  var peakBytes = 0
  var ceilingGFLOPS: [Double] = []
  var runOverheadMicroseconds: [Double] = []
  var epochs: [EpochRecord] = []
  var cacheBuildSeconds = 0.0
  var cacheBuildFlops = 0.0
  var steadyAllocations: [String: Int] = [:]
  var validationAccuracy: [String: Double] = [:]
  var testAccuracy: [String: Double] = [:]
  var weightDifference = 0.0
  var flopsPerEpoch: [String: Double] = [:]
  var floorSeconds: [String: [Double]] = [:]

  /// The median epoch over the median floor (OpenBLAS's threading).
  func floorRatio(_ mode: String) -> Double {
    medianEpoch(mode) / median(floorSeconds[mode] ?? [])
  }
  var profiles: [String: [KernelTiming]] = [:]

  static let modes = ["uncached", "cached"]

  func epochSeconds(_ mode: String) -> [Double] {
    epochs.filter { $0.mode == mode }.map(\.seconds)
  }

  /// The median epoch time of a mode; with more than two epochs the first, which compiles
  /// plans and warms caches, is left out.
  func medianEpoch(_ mode: String) -> Double {
    let times = epochSeconds(mode)
    return median(times.count > 2 ? Array(times.dropFirst()) : times)
  }

  var speedup: Double { medianEpoch("uncached") / medianEpoch("cached") }

  /// The first epoch count at which building the cache and training cached takes no longer
  /// than training uncached.
  var breakEvenEpoch: Int? {
    let saving = medianEpoch("uncached") - medianEpoch("cached")
    guard saving > 0 else { return nil }
    return Int((cacheBuildSeconds / saving).rounded(.up))
  }

  var mustHoldBytes: Int { dataBytes + cacheBytes + weightBytes }

  func header() -> String {
    "mode       epoch   seconds   train loss   valid acc\n"
      + "---------  -----  --------  -----------  ---------"
  }

  func epochRow(_ entry: EpochRecord) -> String {
    pad(entry.mode, 9) + "  " + pad(String(entry.epoch), 5, right: true) + "  "
      + pad(format(entry.seconds, 4), 8, right: true) + "  "
      + pad(format(entry.trainingLoss, 4), 11, right: true) + "  "
      + pad(format(entry.validationAccuracy * 100, 2) + "%", 9, right: true)
  }

  func text() -> String {
    var lines: [String] = [""]
    let range = { (values: [Double], digits: Int) in
      "\(format(median(values), digits)) (range \(format(values.min() ?? .nan, digits))–\(format(values.max() ?? .nan, digits)))"
    }
    lines.append("summary")
    lines.append(
      "  data: \(trainRows) training rows in \(options.batches) batches, loaded in \(format(loadSeconds, 2)) s"
    )
    if let pretrainSeconds, let pretrainAccuracy {
      lines.append(
        "  pretraining: \(options.pretrainEpochs) epochs in \(format(pretrainSeconds, 1)) s, validation accuracy \(format(pretrainAccuracy * 100, 2))%"
      )
    }
    lines.append(
      "  cache build: \(format(cacheBuildSeconds, 3)) s for \(format(cacheBuildFlops / 1e9, 1)) GFLOP (\(format(cacheBuildFlops / cacheBuildSeconds / 1e9, 1)) GFLOP/s); cache size \(cacheBytes) bytes"
    )
    for mode in Self.modes {
      let epoch = medianEpoch(mode)
      let flops = flopsPerEpoch[mode] ?? 0
      lines.append(
        "  \(mode): median epoch \(format(epoch, 4)) s (range \(format(epochSeconds(mode).min() ?? .nan, 4))–\(format(epochSeconds(mode).max() ?? .nan, 4))), \(format(flops / 1e9, 2)) GFLOP/epoch, \(format(flops / epoch / 1e9, 1)) GFLOP/s"
      )
      lines.append(
        "    floor (the step's GEMMs alone in OpenBLAS, before and after training): \(range(floorSeconds[mode] ?? [], 4)) s; epoch / floor = \(format(floorRatio(mode), 2))×"
      )
      lines.append(
        "    final accuracy: validation \(format((validationAccuracy[mode] ?? 0) * 100, 2))%, test \(format((testAccuracy[mode] ?? 0) * 100, 2))%"
      )
      lines.append(
        "    tensor buffers allocated by training steps after the first epoch: \(steadyAllocations[mode] ?? 0)"
      )
    }
    lines.append(
      "  cached speed-up: \(format(speedup, 1))×; caching pays for itself at epoch \(breakEvenEpoch.map(String.init) ?? "never")"
    )
    lines.append("  largest |difference| between the two modes' final weights: \(weightDifference)")
    lines.append("  Session.run overhead (trivial graph): \(range(runOverheadMicroseconds, 2)) µs")
    lines.append("  ceiling: 2048³ sgemm at \(range(ceilingGFLOPS, 1)) GFLOP/s")
    lines.append(
      "  memory: peak resident \(peakBytes / 1_048_576) MiB; must hold \(mustHoldBytes / 1_048_576) MiB (data \(dataBytes / 1_048_576), cache \(cacheBytes / 1_048_576), weights \(weightBytes / 1024) KiB); ratio \(format(Double(peakBytes) / Double(max(mustHoldBytes, 1)), 2))"
    )
    lines.append(
      "  BLAS: OpenBLAS \(blasConfig.split(separator: " ").prefix(2).joined(separator: " ")), core \(blasCore), \(blasThreads) threads"
    )
    for mode in Self.modes {
      guard let timings = profiles[mode] else { continue }
      let total = timings.reduce(0) { $0 + $1.microseconds }
      lines.append("")
      lines.append("profile of one \(mode) step: \(format(total, 1)) µs")
      for timing in timings.sorted(by: { $0.microseconds > $1.microseconds })
      where timing.microseconds > 0.05 {
        lines.append(
          "  " + pad(format(timing.microseconds, 2), 8, right: true) + " µs  "
            + pad(format(timing.microseconds / total * 100, 1) + "%", 6, right: true) + "  "
            + pad(timing.type, 36) + " " + timing.name + "  [" + timing.inputShapes + "]")
      }
    }
    return lines.joined(separator: "\n")
  }

  /// Every figure as JSON.
  func json() -> [String: Any] {
    var modes: [String: Any] = [:]
    for mode in Self.modes {
      modes[mode] = [
        "epochSeconds": epochSeconds(mode), "medianEpochSeconds": medianEpoch(mode),
        "floorSeconds": floorSeconds[mode] ?? [],
        "epochOverFloor": floorRatio(mode),
        "flopsPerEpoch": flopsPerEpoch[mode] ?? 0,
        "gflopsPerSecond": (flopsPerEpoch[mode] ?? 0) / medianEpoch(mode) / 1e9,
        "validationAccuracy": validationAccuracy[mode] ?? 0,
        "testAccuracy": testAccuracy[mode] ?? 0,
        "steadyStateStepAllocations": steadyAllocations[mode] ?? 0,
        "trainingLoss": epochs.filter { $0.mode == mode }.map(\.trainingLoss),
        "validationAccuracyPerEpoch": epochs.filter { $0.mode == mode }.map(\.validationAccuracy),
      ]
    }
    var result: [String: Any] = [
      "options": [
        "epochs": options.epochs, "batches": options.batches, "seed": options.seed,
        "pretrainEpochs": options.pretrainEpochs, "cacheBatch": options.cacheBatch ?? -1,
        "data": options.dataDirectory,
      ],
      "modes": modes, "speedup": speedup, "breakEvenEpoch": breakEvenEpoch ?? -1,
      "cacheBuildSeconds": cacheBuildSeconds, "cacheBuildFlops": cacheBuildFlops,
      "cacheBytes": cacheBytes, "weightDifference": weightDifference,
      "runOverheadMicroseconds": runOverheadMicroseconds, "ceilingGFLOPS": ceilingGFLOPS,
      "peakResidentBytes": peakBytes, "mustHoldBytes": mustHoldBytes, "dataBytes": dataBytes,
      "weightBytes": weightBytes,
      "blas": ["config": blasConfig, "core": blasCore, "threads": blasThreads],
    ]
    if let pretrainSeconds { result["pretrainSeconds"] = pretrainSeconds }
    if let pretrainAccuracy { result["pretrainAccuracy"] = pretrainAccuracy }
    if !profiles.isEmpty {
      result["profiles"] = profiles.mapValues { timings in
        timings.map {
          [
            "name": $0.name, "type": $0.type, "inputShapes": $0.inputShapes,
            "microseconds": $0.microseconds,
          ]
        }
      }
    }
    return result
  }

  func writeJSON(to path: String) throws {
    let data = try JSONSerialization.data(
      withJSONObject: json(), options: [.prettyPrinted, .sortedKeys])
    guard FileManager.default.createFile(atPath: path, contents: data + Data("\n".utf8)) else {
      throw FrostError.io(path: path, reason: "cannot write the JSON report")
    }
  }

  /// A chart: median epoch time per mode as bars (with the floors as ticks), and the
  /// training loss per epoch of each mode as curves.
  func svg() -> String {
    let width = 720.0
    let height = 300.0
    var parts: [String] = []
    parts.append(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">"
    )
    parts.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
    parts.append(
      "<text x=\"20\" y=\"24\" font-size=\"14\" font-weight=\"bold\">Median epoch time (s)</text>")
    parts.append(
      "<text x=\"380\" y=\"24\" font-size=\"14\" font-weight=\"bold\">Training loss per epoch</text>"
    )
    let colors = ["uncached": "#c0504d", "cached": "#4f81bd"]
    // Bars.
    let top = max(medianEpoch("uncached"), medianEpoch("cached"), 1e-9)
    for (i, mode) in Self.modes.enumerated() {
      let value = medianEpoch(mode)
      let barHeight = value / top * 200
      let x = 60.0 + Double(i) * 130
      parts.append(
        "<rect x=\"\(x)\" y=\"\(250 - barHeight)\" width=\"80\" height=\"\(barHeight)\" fill=\"\(colors[mode]!)\"/>"
      )
      let floor = median(floorSeconds[mode] ?? [])
      if floor.isFinite {
        let y = 250 - floor / top * 200
        parts.append(
          "<line x1=\"\(x - 6)\" y1=\"\(y)\" x2=\"\(x + 86)\" y2=\"\(y)\" stroke=\"black\" stroke-dasharray=\"4 2\"/>"
        )
      }
      parts.append(
        "<text x=\"\(x + 40)\" y=\"\(245 - barHeight)\" text-anchor=\"middle\">\(format(value, 3))</text>"
      )
      parts.append("<text x=\"\(x + 40)\" y=\"268\" text-anchor=\"middle\">\(mode)</text>")
    }
    parts.append(
      "<text x=\"20\" y=\"290\" font-size=\"10\">dashed: the step's GEMMs alone in OpenBLAS</text>")
    // Loss curves.
    let losses = epochs.map(\.trainingLoss)
    let (low, high) = (losses.min() ?? 0, max(losses.max() ?? 1, (losses.min() ?? 0) + 1e-9))
    let count = max(options.epochs - 1, 1)
    for mode in Self.modes {
      let points = epochs.filter { $0.mode == mode }.map { entry -> String in
        let x = 400 + Double(entry.epoch - 1) / Double(count) * 280
        let y = 250 - (entry.trainingLoss - low) / (high - low) * 200
        return "\(x),\(y)"
      }
      parts.append(
        "<polyline fill=\"none\" stroke=\"\(colors[mode]!)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
      )
    }
    parts.append(
      "<text x=\"400\" y=\"268\">epoch 1 … \(options.epochs); loss \(format(low, 3))–\(format(high, 3)); the curves coincide when the modes agree</text>"
    )
    parts.append("</svg>")
    return parts.joined(separator: "\n") + "\n"
  }

  func writeSVG(to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(svg().utf8)) else {
      throw FrostError.io(path: path, reason: "cannot write the chart")
    }
  }
}

/// `value` with `digits` decimals.
func format(_ value: Double, _ digits: Int) -> String {
  String(format: "%.\(digits)f", value)
}

/// `text` padded with spaces to `width`, on the left when `right`.
func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
  let padding = String(repeating: " ", count: max(0, width - text.count))
  return right ? padding + text : text + padding
}
