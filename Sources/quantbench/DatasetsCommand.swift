import ArgumentParser
import Foundation
import QBIngest

/// `quantbench datasets`: every embedded evaluation set read exactly as the models are fed it (decoded,
/// preprocessed or tokenized), with its count, classes and fingerprint.
struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Read every embedded evaluation set and print its count, classes and fingerprint.")

    @OptionGroup var rootOptions: RootOptions
    var root: String { rootOptions.root }

    @OptionGroup var threadOptions: ThreadOptions
    var threads: Int { threadOptions.threads }

    /// The embedded sets and how each is read.
    static func sets(root: String) -> [(name: String, path: String, settings: IngestSettings)] {
        var fmnist = IngestSettings()
        fmnist.preprocessing = .fmnist
        var photos = IngestSettings()
        photos.preprocessing = .imagenet
        var foods = IngestSettings()
        foods.textColumn = "review"
        foods.labelColumn = "score"
        foods.declaredClasses = ["great", "other"]
        foods.vocabulary = root + "/Datasets/vocab/minilm-vocab.txt"
        foods.maxLength = 128
        let austen = IngestSettings()
        return [
            ("fashion-mnist-test-200", root + "/Datasets/fashion-mnist-test-200", fmnist),
            ("photos", root + "/Datasets/photos/images", photos),
            ("fine-foods-test", root + "/Datasets/fine-foods/test.csv", foods),
            ("austen-persuasion", root + "/Datasets/austen/austen_persuasion.txt", austen),
        ]
    }

    func run() throws {
        try CLI.guarded {
            guard FileManager.default.fileExists(atPath: root + "/Datasets") else {
                throw IngestError(
                    .missingFile, file: root + "/Datasets",
                    "no Datasets folder: run quantbench from the project folder or pass --root")
            }
            print("QuantBench embedded evaluation sets (\(threads) threads)")
            for set in Self.sets(root: root) {
                var settings = set.settings
                settings.threads = threads
                print("")
                let report = try DatasetInspector.inspect(
                    set.path, settings: settings, progress: CLI.progressPrinter(label: set.name))
                CLI.printReport(report)
            }
            print("\nAll embedded sets read.")
        }
    }
}
