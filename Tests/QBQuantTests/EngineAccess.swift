import QBEngine

/// Reads a model's float initializers as stored (no rewrites), for the reference tests.
enum QBEngineAccess {
    static func initializers(_ path: String) throws -> [String: [Float]] {
        let g = try ModelLoader.load(path)
        return g.initializers.compactMapValues { $0.type.isFloat ? $0.floats : nil }
    }
}
