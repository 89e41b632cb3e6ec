import Foundation
import QBEngine
import QBModelBuilder
@testable import QBQuant
import Testing

/// The share of weights and MACs a variant quantizes, counted from a real run's shapes.
@Suite("Quantized share of weights and MACs")
struct QuantizedShareTests {
    @Test("int8 quantizes the weight product but not the activation product: MACs 2/3 of the total")
    func attentionLikeProduct() throws {
        // x [2, 4] x W [4, 3] -> h [2, 3] (24 MACs, quantizable); h x hT [3, 2] -> [2, 2] (12 MACs, activations
        // only); an LSTM-free, ConvTranspose-free model where the only unquantized work is the activation product.
        var model = ModelBuilder()
        model.input("x", [2, 4])
        model.initializer(ModelBuilder.tensor("w", [4, 3], (0..<12).map { Float($0) / 10 - 0.5 }))
        model.node("MatMul", ["x", "w"], ["h"], name: "project")
        model.node("Transpose", ["h"], ["hT"], ["perm": [1, 0]])
        model.node("MatMul", ["h", "hT"], ["scores"], name: "scores")
        model.output("scores", [2, 2])
        let session = try Session(graph: try model.graph())
        let x = Value(shape: [2, 4], floats: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8])
        let q = try Quantizer.quantize(session.graph, method: .int8(Int8Settings()), calibration: [["x": x]])
        let share = try QuantizedShare.ofVariant(
            reference: session, feed: ["x": x], quantizedOutputs: Set(q.layers.map(\.output)),
            quantizedWeights: q.quantizedWeights)
        #expect(share.weights == 1)
        #expect(share.macs == 24.0 / 36.0)
    }
}
