import QBEngine

/// What a quantized layer's speed depends on: the kernel's form, its shape and the structure its weights
/// give it (which groups and rows have work), never its scales, zero points or bias values. Two int8
/// calibrations of one model run the identical kernels on identical shapes, so their layers have equal keys
/// and `LayerTiming` times them once (the issue-15 spread of 1.89x to 2.68x came from timing each alone).
public struct TimingKey: Hashable, Sendable {
    let form: String
    let shape: [Int]
    let structure: [Int32]
}

extension Int8Kernel {
    var timingKey: TimingKey {
        TimingKey(form: "int8", shape: [rows, depth, ld, groupRows, taps, packed.count], structure: [])
    }
}

extension TernaryKernel {
    var timingKey: TimingKey {
        let form = packed.map { [1, $0.rows, $0.groups, $0.ld] } ?? [0]
        return TimingKey(
            form: "ternary", shape: [depth, depthwiseWeights == nil ? 0 : 1, indices.count] + form,
            structure: rowStart + groupStart)
    }
}

extension ShiftKernel {
    var timingKey: TimingKey {
        let form = packed.map { [1, $0.rows, $0.ld, Int($0.mode)] } ?? [0]
        let depthwise = depthwiseTables.map { [1, $0.taps, Int($0.mode)] } ?? [0]
        return TimingKey(form: "shift", shape: [depth, indices.count] + form + depthwise, structure: rowStart)
    }
}

extension QuantLayer {
    /// The layer's key: its name and input shape with its path's form.
    func timingKey(input: [Int]) -> TimingKey {
        let path: TimingKey
        switch self.path {
        case .integer(let kernel): path = kernel.timingKey
        case .simulated(_, let output):
            path = TimingKey(
                form: output == nil ? "simulated" : "simulated+requantized",
                shape: [], structure: [])
        case .weightOnly: path = TimingKey(form: "weight-only", shape: [], structure: [])
        }
        return TimingKey(form: spec.name + " " + path.form, shape: input + [-1] + path.shape, structure: path.structure)
    }
}
