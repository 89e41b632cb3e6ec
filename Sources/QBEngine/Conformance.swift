import Foundation

/// Runs ONNX backend node tests (a folder per test: `model.onnx` and `test_data_set_*/input_*.pb`,
/// `output_*.pb`), as shipped by Debian's libonnx-testdata, and compares with the expected outputs
/// the way ONNX's backend tests do: `|got - expected| <= atol + rtol * |expected|`, rtol 1e-3, atol 1e-7.
public enum Conformance {
    public enum Outcome: Sendable, Equatable {
        case passed
        /// Uses an operator (or attribute, type) the engine does not support: the reason.
        case unsupported(String)
        case failed(String)
    }

    public struct Case: Sendable {
        public var name: String
        public var outcome: Outcome
        /// The operator types in the test's graph.
        public var ops: [String]
    }

    /// Runs every test folder under `root` (sorted by name), optionally only those matching `filter`.
    public static func run(root: String, optimize: Bool = false, filter: ((String) -> Bool)? = nil) -> [Case] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted().filter {
            filter?($0) ?? true
        }
        return names.map { runOne(root + "/" + $0, name: $0, optimize: optimize) }
    }

    public static func runOne(_ dir: String, name: String, optimize: Bool) -> Case {
        let graph: Graph
        do { graph = try ModelLoader.load(dir + "/model.onnx") } catch let e as EngineError {
            return Case(
                name: name, outcome: e.kind == .unsupported ? .unsupported(e.reason) : .failed("load: \(e.reason)"),
                ops: [])
        } catch { return Case(name: name, outcome: .failed("\(error)"), ops: []) }
        let ops = Array(Set(graph.nodes.map(\.opType))).sorted()
        let session: Session
        do { session = try Session(graph: graph, options: SessionOptions(optimize: optimize, threads: 1)) } catch let e
            as EngineError
        {
            return Case(
                name: name,
                outcome: e.kind == .unsupported ? .unsupported(e.description) : .failed("check: \(e.description)"),
                ops: ops)
        } catch { return Case(name: name, outcome: .failed("\(error)"), ops: ops) }
        let sets = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
            $0.hasPrefix("test_data_set_")
        }.sorted()
        guard !sets.isEmpty else { return Case(name: name, outcome: .failed("no test_data_set folders"), ops: ops) }
        for set in sets {
            do {
                let folder = dir + "/" + set
                var feeds = [String: Value]()
                for (i, info) in session.inputs.enumerated() {
                    let file = folder + "/input_\(i).pb"
                    guard FileManager.default.fileExists(atPath: file) else { break }
                    feeds[info.name] = try ModelLoader.loadTensor(file).value
                }
                let result = try session.run(feeds)
                for (i, info) in session.outputs.enumerated() {
                    let expected = try ModelLoader.loadTensor(folder + "/output_\(i).pb").value
                    guard let got = result[info.name] else {
                        return Case(name: name, outcome: .failed("output \(info.name) missing"), ops: ops)
                    }
                    if let problem = compare(got, expected) {
                        return Case(name: name, outcome: .failed("\(set) output '\(info.name)': \(problem)"), ops: ops)
                    }
                }
            } catch let e as EngineError {
                return Case(
                    name: name,
                    outcome: e.kind == .unsupported ? .unsupported(e.description) : .failed("\(set): \(e.description)"),
                    ops: ops)
            } catch {
                return Case(name: name, outcome: .failed("\(set): \(error)"), ops: ops)
            }
        }
        return Case(name: name, outcome: .passed, ops: ops)
    }

    /// nil when equal within tolerance, else what differs.
    public static func compare(_ got: Value, _ expected: Value, rtol: Float = 1e-3, atol: Float = 1e-7) -> String? {
        guard got.shape == expected.shape else { return "shape \(got.shape), expected \(expected.shape)" }
        if expected.type.isFloat {
            let g = got.floats, e = expected.floats
            for i in 0..<e.count {
                if e[i].isNaN && g[i].isNaN { continue }
                if e[i].isInfinite && g[i] == e[i] { continue }
                if !(abs(g[i] - e[i]) <= atol + rtol * abs(e[i])) {
                    return "element \(i): \(g[i]), expected \(e[i])"
                }
            }
            return nil
        }
        let g = got.ints, e = expected.ints
        if let i = (0..<e.count).first(where: { g[$0] != e[$0] }) { return "element \(i): \(g[i]), expected \(e[i])" }
        return nil
    }
}
