import Dispatch
import Foundation
import QBTensor

/// What to do with a sample that cannot be decoded.
public enum BadSamplePolicy: String, Sendable, Codable, CaseIterable {
    /// Stop at the first bad sample with its error.
    case failFast = "fail"
    /// Skip it, count it and list it in the summary.
    case skip
}

/// A sample that could not be used, and why.
public struct BadSample: Sendable, Equatable {
    public var index: Int
    public var error: IngestError
}

/// A batch of preprocessed images: `tensor` is `[n, channels, size, size]`.
public struct ImageBatch: Sendable {
    public var tensor: Tensor
    public var labels: [Int]
    /// Indices of the samples in the data set.
    public var indices: [Int]
}

/// What a pass over a data set saw.
public struct LoadSummary: Sendable {
    public var total: Int
    public var loaded: Int
    public var bad: [BadSample]
    /// SHA-256 over the settings and every sample's preprocessed tensor (see `Fingerprint`).
    public var fingerprint: String
}

/// Decodes and preprocesses an image set in batches, on several threads, in a deterministic order:
/// each batch's samples are decoded in parallel into fixed slots, then handed over in index order, so
/// the tensors and the fingerprint are identical whatever the thread count. Memory is bounded by one batch.
public struct ImageSetLoader: Sendable {
    public var decoder: ImageDecoder
    public var preprocessor: Preprocessor
    public var policy: BadSamplePolicy
    public var threads: Int
    public var batchSize: Int

    public init(
        decoder: ImageDecoder = ImageDecoder(), preprocessing: Preprocessing, policy: BadSamplePolicy = .failFast,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, batchSize: Int = 64
    ) throws {
        self.decoder = decoder
        self.preprocessor = try Preprocessor(preprocessing)
        self.policy = policy
        self.threads = max(1, threads)
        self.batchSize = max(1, batchSize)
    }

    /// The settings that shape the tensors, hashed into the fingerprint.
    struct FingerprintSettings: Encodable {
        var dataset: String
        var dctScaling: Bool
        var strictJPEG: Bool
        var preprocessing: Preprocessing
        var classes: [String]
        var count: Int
    }

    /// Loads samples `first ..< limit` (to the end when `limit` is nil), calling `body` with each batch in
    /// order and `progress(done, total)` after each batch.
    @discardableResult
    public func forEachBatch(
        _ dataset: ImageDataset, from first: Int = 0, limit: Int? = nil,
        progress: ((Int, Int) -> Void)? = nil,
        _ body: (ImageBatch) throws -> Void
    ) throws -> LoadSummary {
        let total = min(limit ?? dataset.samples.count, dataset.samples.count)
        let first = min(max(first, 0), total)
        let p = preprocessor.settings
        let per = p.channels * p.size * p.size
        var fingerprint = Fingerprint(
            domain: "image-set",
            settings: FingerprintSettings(
                dataset: dataset.kind.rawValue, dctScaling: decoder.options.dctScaling,
                strictJPEG: decoder.options.strictJPEG,
                preprocessing: p, classes: dataset.classes, count: total - first))
        var bad = [BadSample]()
        var loaded = 0
        var start = first
        while start < total {
            let n = min(batchSize, total - start)
            var storage = [Float](repeating: 0, count: n * per)
            var errors = [IngestError?](repeating: nil, count: n)
            storage.withUnsafeMutableBufferPointer { out in
                errors.withUnsafeMutableBufferPointer { errs in
                    let outBase = SharedPointer(out.baseAddress!), errBase = SharedPointer(errs.baseAddress!)
                    let first = start
                    Parallel.forEach(count: n, workers: threads) { i in
                        let slot = UnsafeMutableBufferPointer(start: outBase.base + i * per, count: per)
                        do {
                            try load(dataset, index: first + i, into: slot)
                        } catch let e as IngestError {
                            (errBase.base + i).pointee = e
                        } catch {
                            (errBase.base + i).pointee = IngestError(
                                .corrupt, file: dataset.samples[first + i].name, "\(error)")
                        }
                    }
                }
            }
            var keep = [Int]()
            for i in 0..<n {
                fingerprint.addInt(start + i)
                if let e = errors[i] {
                    if policy == .failFast { throw e }
                    bad.append(BadSample(index: start + i, error: e))
                    fingerprint.addInt(-1)
                } else {
                    keep.append(i)
                    fingerprint.addInt(dataset.samples[start + i].label)
                    storage.withUnsafeBufferPointer {
                        fingerprint.addFloats(UnsafeBufferPointer(rebasing: $0[(i * per)..<((i + 1) * per)]))
                    }
                }
            }
            if keep.count != n {
                var packed = [Float]()
                packed.reserveCapacity(keep.count * per)
                for i in keep { packed.append(contentsOf: storage[(i * per)..<((i + 1) * per)]) }
                storage = packed
            }
            loaded += keep.count
            let batch = ImageBatch(
                tensor: Tensor(shape: [keep.count, p.channels, p.size, p.size], storage: storage),
                labels: keep.map { dataset.samples[start + $0].label },
                indices: keep.map { start + $0 })
            if !keep.isEmpty { try body(batch) }
            start += n
            progress?(start - first, total - first)
        }
        return LoadSummary(total: total - first, loaded: loaded, bad: bad, fingerprint: fingerprint.finalize())
    }

    /// Reads the first `limit` samples (all when nil) for their summary and fingerprint only.
    public func summarize(_ dataset: ImageDataset, limit: Int? = nil, progress: ((Int, Int) -> Void)? = nil) throws
        -> LoadSummary
    {
        try forEachBatch(dataset, limit: limit, progress: progress) { _ in }
    }

    /// Decodes and preprocesses sample `index` into `out`.
    public func load(_ dataset: ImageDataset, index: Int, into out: UnsafeMutableBufferPointer<Float>) throws {
        let sample = dataset.samples[index]
        let image: DecodedImage
        switch sample.source {
        case .idx(let i):
            image = dataset.idxImage(i)
        case .file(let path):
            let data = try FileReader.read(path, maxBytes: 1 << 30)
            image = try decoder.decode(data, name: path) { w, h in
                preprocessor.draftTarget(sourceWidth: w, sourceHeight: h)
            }
        }
        preprocessor.run(image, into: out)
    }
}
