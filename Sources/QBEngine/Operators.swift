/// The table of supported operators (default ONNX domain).
enum Operators {
    static let table: [String: OperatorDef] = {
        var r = [String: OperatorDef]()
        ElementwiseOps.register(&r)
        LinearOps.register(&r)
        ConvOps.register(&r)
        PoolOps.register(&r)
        NormalizationOps.register(&r)
        ShapeOps.register(&r)
        SelectionOps.register(&r)
        ReduceOps.register(&r)
        ExtraOps.register(&r)
        MathOps.register(&r)
        IndexingOps.register(&r)
        ResizeOps.register(&r)
        ConvTransposeOps.register(&r)
        QuantizedOps.register(&r)
        IntegerConvOps.register(&r)
        RecurrentOps.register(&r)
        LossOps.register(&r)
        ControlFlowOps.register(&r)
        return r
    }()

    /// The names of the supported operators, sorted.
    public static var supported: [String] { table.keys.sorted() }
}
