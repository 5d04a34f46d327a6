import Foundation
import Testing

@testable import Frost

/// Frost's safetensors files against the reference implementation (the `safetensors` and
/// `numpy` Python packages; `pip install safetensors numpy`). These tests fail, with that
/// advice, when Python or the packages are missing.
@Suite("Safetensors interoperability with Python")
struct SafetensorsInteropTests {
  @Test func pythonReadsWhatFrostWrites() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("frost.safetensors")
    let tensors: [String: NDArray] = [
      "f32": try NDArray(
        shape: [2, 3],
        scalars: [Float(1.5), -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude]),
      "f64": NDArray([0.1, -Double.greatestFiniteMagnitude, 1e-300]),
      "i32": try NDArray(shape: [2, 2], scalars: [Int32.min, -1, 0, .max]),
      "mask": try NDArray(shape: [2, 2], scalars: [true, false, false, true]),
      "scalar": NDArray(2.5),
      "empty": try NDArray(zeros: [0, 3], dtype: .float32),
    ]
    let metadata = ["format": "np", "note": "héllo ☃", "empty": ""]
    try SafetensorsFile.write(tensors, metadata: metadata, to: path)

    let script = #"""
      import numpy as np
      from safetensors import safe_open
      from safetensors.numpy import load_file

      path = sys.argv[1]
      tensors = load_file(path)
      expected = {
          "f32": np.array(
              [1.5, -0.0, np.inf, -np.inf, np.nan, np.finfo(np.float32).smallest_subnormal],
              np.float32).reshape(2, 3),
          "f64": np.array([0.1, -np.finfo(np.float64).max, 1e-300], np.float64),
          "i32": np.array([[-2**31, -1], [0, 2**31 - 1]], np.int32),
          "mask": np.array([[True, False], [False, True]]),
          "scalar": np.array(2.5, np.float64),
          "empty": np.zeros((0, 3), np.float32),
      }
      assert sorted(tensors) == sorted(expected), sorted(tensors)
      for name, want in expected.items():
          got = tensors[name]
          assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
          assert got.shape == want.shape, (name, got.shape, want.shape)
          assert got.tobytes() == want.tobytes(), (name, got, want)
      with safe_open(path, framework="numpy") as f:
          metadata = f.metadata()
      assert metadata == {"format": "np", "note": "h\u00e9llo \u2603", "empty": ""}, metadata
      print("ok")
      """#
    #expect(try Python.run(script, arguments: [path]) == "ok\n")
  }

  @Test func frostReadsWhatPythonWrites() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.file("python.safetensors")
    let script = #"""
      import numpy as np
      from safetensors.numpy import save_file

      save_file(
          {
              "weights": np.array([[0.5, -1.25, 3.0], [0.1, -0.0, 1e-3]], np.float32),
              "bias": np.array([np.pi, -0.0, 1e308], np.float64),
              "labels": np.array([-2**31, 7, 2**31 - 1], np.int32),
              "mask": np.array([True, False, True]),
              "step": np.array(-3, np.int32),
              "none": np.zeros((2, 0), np.bool_),
          },
          sys.argv[1],
          metadata={"format": "np", "step": "12"},
      )
      print("ok")
      """#
    #expect(try Python.run(script, arguments: [path]) == "ok\n")

    let file = try SafetensorsFile(path: path)
    #expect(file.metadata == ["format": "np", "step": "12"])
    #expect(file.names == ["bias", "labels", "mask", "none", "step", "weights"])
    let arrays = try file.loadAll()
    #expect(
      arrays["weights"]
        == (try NDArray(shape: [2, 3], scalars: [Float(0.5), -1.25, 3, 0.1, -0.0, 1e-3])))
    #expect(try arrays["weights"]?.scalars(as: Float.self)[4].sign == .minus)
    #expect(arrays["bias"] == NDArray([Double.pi, -0.0, 1e308]))
    #expect(arrays["labels"] == NDArray([Int32.min, 7, .max]))
    #expect(arrays["mask"] == NDArray([true, false, true]))
    #expect(arrays["step"] == NDArray(Int32(-3)))
    #expect(arrays["none"] == (try NDArray(zeros: [2, 0], dtype: .bool)))
  }

  @Test func singleTypeFilesAreByteIdenticalToPythons() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let frostPath = directory.file("frost.safetensors")
    let pythonPath = directory.file("python.safetensors")
    try SafetensorsFile.write(
      [
        "layer.b": NDArray([Float(1), 2]),
        "layer.a": try NDArray(shape: [1, 3], scalars: [Float(3), 4, 5]),
        "z": NDArray(Float(6)),
      ],
      metadata: ["framework": "frost"], to: frostPath)
    let script = #"""
      import numpy as np
      from safetensors.numpy import save_file

      save_file(
          {
              "layer.b": np.array([1, 2], np.float32),
              "layer.a": np.array([[3, 4, 5]], np.float32),
              "z": np.array(6, np.float32),
          },
          sys.argv[1],
          metadata={"framework": "frost"},
      )
      print("ok")
      """#
    #expect(try Python.run(script, arguments: [pythonPath]) == "ok\n")
    #expect(try bytesOfFile(frostPath) == bytesOfFile(pythonPath))
  }

  @Test func pythonFailuresAreReportedWithTheirOutput() throws {
    #expect(try Python.run("print(sys.argv[1:])", arguments: ["a b"], importing: []) == "['a b']\n")
    do {
      _ = try Python.run("assert 1 == 2, 'boom'", importing: [])
      Issue.record("a failing script passed")
    } catch let failure as Python.Failure {
      #expect(failure.description.contains("exited with status 1"))
      #expect(failure.description.contains("AssertionError: boom"))
    }
    do {
      _ = try Python.run("pass", importing: ["frost_no_such_module"])
      Issue.record("a missing module passed")
    } catch let failure as Python.Failure {
      #expect(failure.description.contains("pip install safetensors numpy"))
      #expect(failure.description.contains("frost_no_such_module"))
    }
  }
}
