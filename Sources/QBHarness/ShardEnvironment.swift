/// `--shard auto`: this process's shard index and count, read from the environment of the engine that started it.
///
/// | engine | index (first) | count |
/// | --- | --- | --- |
/// | GitLab CI (`parallel: N`) | `CI_NODE_INDEX` (1) | `CI_NODE_TOTAL` |
/// | Kubernetes Indexed Job | `JOB_COMPLETION_INDEX` (0) | given: `--shard-count N` or `QB_SHARD_COUNT` |
/// | Slurm job array | `SLURM_ARRAY_TASK_ID` - `SLURM_ARRAY_TASK_MIN` | `SLURM_ARRAY_TASK_COUNT` |
/// | CircleCI (`parallelism: N`) | `CIRCLE_NODE_INDEX` (0) | `CIRCLE_NODE_TOTAL` |
/// | Buildkite (`parallelism: N`) | `BUILDKITE_PARALLEL_JOB` (0) | `BUILDKITE_PARALLEL_JOB_COUNT` |
///
/// Every engine whose variables are set is read; none set, a value that is not a whole number, an index outside its
/// count, or two engines that disagree is an error naming the variables.
public enum ShardEnvironment {
    /// One engine's variables.
    struct Engine {
        let name: String
        let indexVariable: String
        let countVariable: String?
        /// The index the engine gives its first shard.
        let firstIndex: Int
    }

    static let engines = [
        Engine(name: "GitLab CI", indexVariable: "CI_NODE_INDEX", countVariable: "CI_NODE_TOTAL", firstIndex: 1),
        Engine(name: "Kubernetes", indexVariable: "JOB_COMPLETION_INDEX", countVariable: nil, firstIndex: 0),
        Engine(
            name: "Slurm", indexVariable: "SLURM_ARRAY_TASK_ID", countVariable: "SLURM_ARRAY_TASK_COUNT",
            firstIndex: 0),
        Engine(name: "CircleCI", indexVariable: "CIRCLE_NODE_INDEX", countVariable: "CIRCLE_NODE_TOTAL", firstIndex: 0),
        Engine(
            name: "Buildkite", indexVariable: "BUILDKITE_PARALLEL_JOB", countVariable: "BUILDKITE_PARALLEL_JOB_COUNT",
            firstIndex: 0),
    ]

    /// The variable that gives the count to engines that do not set one (Kubernetes), when `--shard-count` is absent.
    public static let countVariable = "QB_SHARD_COUNT"

    /// The shard (index from 0, count) that `environment` describes; `givenCount` is `--shard-count`.
    public static func resolve(_ environment: [String: String], givenCount: Int? = nil) throws -> (
        index: Int, count: Int, source: String
    ) {
        func fail(_ reason: String) -> HarnessError { HarnessError(.badShard, file: "--shard auto", reason) }
        func number(_ variable: String) throws -> Int? {
            guard let text = environment[variable] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw fail("\(variable)=\(text) is not a whole number")
            }
            return value
        }
        var given = givenCount
        if given == nil, let fromVariable = try number(countVariable) { given = fromVariable }
        if let given, given < 1 { throw fail("the shard count must be at least 1, not \(given)") }
        var found = [(index: Int, count: Int, source: String)]()
        for engine in engines {
            guard var index = try number(engine.indexVariable) else { continue }
            var source = "\(engine.name) \(engine.indexVariable)=\(index)"
            if engine.name == "Slurm" {
                let step = try number("SLURM_ARRAY_TASK_STEP") ?? 1
                guard step == 1 else { throw fail("SLURM_ARRAY_TASK_STEP=\(step): the array must have step 1") }
                let first = try number("SLURM_ARRAY_TASK_MIN") ?? 0
                index -= first
                source += " (SLURM_ARRAY_TASK_MIN=\(first))"
            } else {
                index -= engine.firstIndex
            }
            let engineCount = try engine.countVariable.flatMap(number)
            guard let count = engineCount ?? given else {
                let names = [engine.countVariable, "--shard-count", countVariable].compactMap { $0 }
                throw fail("\(source) is set but no count: give \(names.joined(separator: " or "))")
            }
            if let engineCount, let given, engineCount != given {
                throw fail("\(engine.countVariable!)=\(engineCount) disagrees with the given count \(given)")
            }
            source += engineCount != nil ? ", \(engine.countVariable!)=\(count)" : ", count \(count)"
            guard count >= 1, (0..<count).contains(index) else {
                throw fail("\(source): shard \(index + 1) is outside 1...\(count)")
            }
            found.append((index, count, source))
        }
        guard let first = found.first else {
            let names = engines.map(\.indexVariable).joined(separator: ", ")
            throw fail("no shard index in the environment (looked for \(names)); pass --shard K/N instead")
        }
        if let other = found.first(where: { $0.index != first.index || $0.count != first.count }) {
            throw fail("the environment disagrees: \(first.source) but \(other.source)")
        }
        return first
    }
}
