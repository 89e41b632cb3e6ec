import Foundation
import QBTensor

/// The machine and build a run happened on.
public struct Environment: Codable, Sendable, Equatable {
    public var cpu: String
    public var cores: Int
    public var swift: String
    public var avx2: Bool
    public var build: String
    /// The CPU's vector features that decide kernel speed (avx2, fma, avx512f, avx512bw, avx512_vnni,
    /// avx_vnni), from /proc/cpuinfo: "AMD EPYC" names Zen 3 and Zen 4 machines alike.
    public var features: String? = nil
    /// The kernel ISA level the run used (`KernelISA.active`: portable, avx2, avx512, vnni) and the one the
    /// CPU has; they differ when `QB_MAX_ISA` / `--max-isa` capped the run. Figures other than speed are the
    /// same at every level. Results recorded before these fields existed ran at their CPU's level.
    public var kernels: String? = nil
    public var cpuKernels: String? = nil

    /// The level a run used: `kernels`, or for older records the one its feature list implies.
    public var kernelLevel: String {
        if let kernels { return kernels }
        let f = Set((features ?? "").split(separator: " ").map(String.init))
        if f.isSuperset(of: ["avx512f", "avx512bw", "avx512_vnni"]) { return "vnni" }
        if f.isSuperset(of: ["avx512f", "avx512bw"]) { return "avx512" }
        return f.isSuperset(of: ["avx2", "fma"]) ? "avx2" : "portable"
    }

    public static func current(avx2: Bool) -> Environment {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set(
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
        )
        let features = ["avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni"].filter { flags.contains($0) }
            .joined(separator: " ")
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }.map {
                String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces)
            } ?? "unknown"
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        #if swift(>=6.3)
            let swift = "6.3"
        #elseif swift(>=6.0)
            let swift = "6.x"
        #else
            let swift = "5.x"
        #endif
        return Environment(
            cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount, swift: swift, avx2: avx2, build: build,
            features: features,
            kernels: KernelISA.active.description, cpuKernels: KernelISA.detected.description)
    }

    /// Whether speed figures recorded on `other` are comparable with this one's: same CPU model, vector
    /// features, core count, kernel level and build.
    public func sameHostClass(_ other: Environment) -> Bool {
        cpu == other.cpu && cores == other.cores && avx2 == other.avx2 && build == other.build && features != nil
            && features == other.features
            && kernelLevel == other.kernelLevel
    }
}
