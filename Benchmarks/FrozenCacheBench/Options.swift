import Frost

/// The benchmark's command line.
struct Options {
  var dataDirectory = FashionMNIST.defaultDirectory
  var epochs = 10
  var batches = 500
  var seed: UInt64 = 42
  var pretrainEpochs = 3
  var pretrained: String?
  var cacheBatch: Int?
  var repeats = 5
  var jsonPath: String?
  var svgPath: String?
  var profile = false

  static let usage = """
    usage: frozen-cache-bench [options]

    Runs the "Caching the Frozen Layers" experiment on Fashion-MNIST: pretrains a
    784-300-50-50-20-10 relu network, restores and freezes hidden1 and hidden2, then trains
    hidden3, hidden4 and outputs with gradient descent (learning rate 0.01) twice from the
    same weights with the same batches: uncached (feeding X every step) and cached (feeding
    hidden2 from a cache built once). Prints a table per epoch and a summary.

    options:
      --data DIR           MNIST-format directory (default \(FashionMNIST.defaultDirectory))
      --epochs N           training epochs per mode (default 10)
      --batches N          batches per epoch (default 500: 55,000 rows in batches of 110)
      --seed S             seed of initial weights and batch order (default 42)
      --pretrain-epochs N  epochs of pretraining the whole network (default 3)
      --pretrained FILE    a safetensors checkpoint with hidden1 and hidden2 (skips pretraining)
      --cache-batch N      rows per run while building the cache (default: the training
                           batch size, so both modes run the frozen layers on batches of
                           the same size)
      --repeats N          repetitions of each floor and overhead measurement (default 5)
      --json FILE          write every figure as JSON
      --svg FILE           write a chart of epoch times and loss curves
      --profile            time every kernel of a cached and an uncached step
      -h, --help           show this help
    """

  /// Parses `arguments` (without the program name).
  static func parse(_ arguments: [String]) throws -> Options {
    var options = Options()
    var rest = arguments[...]
    func value(_ flag: String) throws -> String {
      guard let next = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
      return next
    }
    func number<T: FixedWidthInteger>(_ flag: String, _ type: T.Type, minimum: T) throws -> T {
      let text = try value(flag)
      guard let parsed = T(text), parsed >= minimum else {
        throw UsageError("\(flag) needs an integer of at least \(minimum), not '\(text)'")
      }
      return parsed
    }
    while let flag = rest.popFirst() {
      switch flag {
      case "--data": options.dataDirectory = try value(flag)
      case "--epochs": options.epochs = try number(flag, Int.self, minimum: 1)
      case "--batches": options.batches = try number(flag, Int.self, minimum: 1)
      case "--seed": options.seed = try number(flag, UInt64.self, minimum: 0)
      case "--pretrain-epochs": options.pretrainEpochs = try number(flag, Int.self, minimum: 0)
      case "--pretrained": options.pretrained = try value(flag)
      case "--cache-batch": options.cacheBatch = try number(flag, Int.self, minimum: 1)
      case "--repeats": options.repeats = try number(flag, Int.self, minimum: 1)
      case "--json": options.jsonPath = try value(flag)
      case "--svg": options.svgPath = try value(flag)
      case "--profile": options.profile = true
      case "-h", "--help": throw UsageError(nil)
      default: throw UsageError("unknown option '\(flag)'")
      }
    }
    return options
  }
}

/// A command-line mistake (or a request for help, with no message).
struct UsageError: Error {
  let message: String?
  init(_ message: String?) { self.message = message }
}
