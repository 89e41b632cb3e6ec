import Foundation
import QBFuzz
import QBTestSupport
import Testing

/// Every input the fuzzer found crashing or hanging a reader (Tests/Fixtures/fuzz/<target>/) now gets an
/// error or a result; and each target survives its seeds and a fixed set of mutations.
@Suite("Fuzz findings stay fixed")
struct FuzzRegressionTests {
    @Test(
        "each committed crash input is read without a crash (an error is fine)", arguments: FuzzTargets.all.map(\.name))
    func replay(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let folder = Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/fuzz/\(name)")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
            $0.hasSuffix(".bin")
        }.sorted()
        for f in files {
            let data = try Data(contentsOf: folder.appendingPathComponent(f))
            do { try target.run(data) } catch {}  // returning at all is the test
        }
        // Seeds and 300 seeded mutations: the same inputs every run.
        let seeds = FuzzTargets.seeds(target, root: Fixtures.packageRoot.path).compactMap {
            try? [UInt8](Data(contentsOf: $0))
        }
        #expect(!seeds.isEmpty, "no seeds for \(name)")
        var mutator = Mutator(seed: 7)
        for i in 0..<(seeds.count + 300) {
            let input = i < seeds.count ? seeds[i] : mutator.mutate(seeds)
            do { try target.run(Data(input)) } catch {}
        }
    }
}
