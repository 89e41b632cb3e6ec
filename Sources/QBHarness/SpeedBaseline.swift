import Foundation

/// Speed figures (`Metric.hostDependent`: kernel speedup and GOP/s) recorded on one host class. A baseline file
/// holds several: its top-level entries' environment, plus `speed` (`baseline record --host-only` adds one), so one
/// committed file gates the speed of an AVX2-only runner and of an AVX-512 VNNI machine alike.
public struct SpeedBaseline: Codable, Sendable {
    public var environment: Environment
    public var entries: [BaselineEntry]

    public init(environment: Environment, entries: [BaselineEntry]) {
        self.environment = environment
        self.entries = entries
    }
}

extension Environment {
    /// The coarse class speed figures carry over within: the kernel level and the build ("avx2 release"). Speed
    /// figures are ratios measured in one run (quantized layers / the same layers in FP32), so a runner of another
    /// CPU model at the same level is gated against them when no exact host class was recorded.
    public var speedClass: String { "\(kernelLevel) \(build)" }

    /// One phrase naming the host: CPU, cores, kernel level, build.
    public var hostDescription: String { "\(cpu), \(cores) cores, kernels \(kernelLevel), \(build) build" }
}

extension BaselineFile {
    /// Every recorded speed class: the top-level entries' own, then `speed`.
    public var speedBaselines: [SpeedBaseline] {
        let own = SpeedBaseline(
            environment: environment, entries: entries.filter { Metric.hostDependent.contains($0.metric) })
        return ([own] + (speed ?? [])).filter { !$0.entries.isEmpty }
    }

    /// The speed figures to gate a run on `host` against: those of the same host class (CPU model, features, cores,
    /// kernel level, build) if recorded, else those of the same kernel level and build (`exact` false); nil when
    /// neither was recorded (the speed checks are then reported as not gated).
    /// The file's own host class always matches itself, recorded speed figures or not (a speed figure its run
    /// produces then asks for a baseline, exit 4).
    public func speedBaseline(for host: Environment) -> (baseline: SpeedBaseline, exact: Bool)? {
        if environment.sameHostClass(host) {
            return (
                SpeedBaseline(
                    environment: environment, entries: entries.filter { Metric.hostDependent.contains($0.metric) }),
                true
            )
        }
        let classes = speedBaselines
        if let same = classes.first(where: { $0.environment.sameHostClass(host) }) { return (same, true) }
        if let level = classes.first(where: { $0.environment.speedClass == host.speedClass }) { return (level, false) }
        return nil
    }

    /// This file with `results`' speed figures as the class of its host: the top-level ones when it is the file's
    /// own host class, else an entry of `speed` (replacing the one of the same host class). Other entries are kept.
    public func recordingSpeed(of results: SuiteResults) -> BaselineFile {
        let recorded = BaselineFile.record(results).entries.filter { Metric.hostDependent.contains($0.metric) }
        var file = self
        if environment.sameHostClass(results.environment) {
            file.entries = entries.filter { !Metric.hostDependent.contains($0.metric) } + recorded
        } else {
            var classes = (speed ?? []).filter { !$0.environment.sameHostClass(results.environment) }
            classes.append(SpeedBaseline(environment: results.environment, entries: recorded))
            file.speed = classes
        }
        return file
    }

    /// A full recording that keeps the speed classes of other hosts: `previous`'s classes that are not the new
    /// file's host class (its top-level speed entries included) move to `speed`.
    public func keepingSpeedClasses(of previous: BaselineFile?) -> BaselineFile {
        guard let previous else { return self }
        var file = self
        file.speed = previous.speedBaselines.filter { !$0.environment.sameHostClass(environment) }
        if file.speed?.isEmpty == true { file.speed = nil }
        return file
    }
}

extension GateReport {
    /// One line on how the speed figures were gated.
    public static func speedNote(_ match: (baseline: SpeedBaseline, exact: Bool)?, host: Environment) -> String {
        guard let match else {
            return
                "Speed figures not gated: no baseline for this host class (\(host.speedClass)); `quantbench baseline "
                + "record --host-only` adds it."
        }
        let recorded = match.baseline.environment.hostDescription
        return match.exact
            ? "Speed figures gated against this host class (\(recorded))."
            : "Speed figures gated against the \(host.speedClass) class recorded on \(recorded) (same kernel level, "
                + "another host)."
    }
}
