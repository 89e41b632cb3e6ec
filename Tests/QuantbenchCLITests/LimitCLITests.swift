import Foundation
import QBTestSupport
import Testing

@Suite("Resource limits on the command line", .serialized)
struct LimitCLITests {
    @Test("a model over --max-model-bytes, --max-nodes or --max-tensor-elements is refused with exit 1 and the reason")
    func limits() throws {
        let model = "Tests/Fixtures/onnx/resnet_tiny.onnx"
        for (flag, value, words) in [
            ("--max-model-bytes", "1000", "limit"), ("--max-nodes", "3", "nodes"),
            ("--max-tensor-elements", "100", "elements"),
        ] {
            let r = try runQuantbench(["infer", model, flag, value])
            #expect(r.status == 1, "\(flag) \(value): exit \(r.status) \(r.stdout)")
            #expect(r.stderr.contains(model) && r.stderr.contains(words), "\(flag): \(r.stderr)")
        }
        let bad = try runQuantbench(["infer", model, "--max-nodes", "0"])
        #expect(bad.status == 64, "a non-positive limit is a usage error")
    }
}
