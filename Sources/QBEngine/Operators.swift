/// The table of supported operators: the default ONNX domain by operator name, other domains (`com.microsoft`) as
/// `domain.name`.
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
        MicrosoftQuantizedOps.register(&r)
        EinsumOp.register(&r)
        NonMaxSuppressionOp.register(&r)
        UniqueOp.register(&r)
        return r
    }()

    /// The operator a node runs, if the engine has it.
    static func definition(_ node: Node) -> OperatorDef? { table[node.qualifiedType] }

    /// The names of the supported operators, sorted.
    public static var supported: [String] { table.keys.sorted() }
}
