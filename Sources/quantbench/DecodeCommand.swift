import ArgumentParser
import Foundation
import QBIngest

/// `quantbench decode FILE [--raw OUT]`: decode one image and describe it.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a JPEG or PNG (detected by content) and print its format and geometry.",
        discussion: "With --raw, writes the decoded pixels as RGB8, row-major (width*height*3 bytes).")

    @Argument(help: "The image file.")
    var file: String

    @Option(name: .customLong("raw"), help: "Write the decoded RGB8 pixels to this file.")
    var rawOutput: String?

    @Option(help: "Refuse images with more pixels than this.")
    var maxPixels: Int = DecodeOptions.default.maxPixels

    @Flag(help: "Accept JPEGs that libjpeg decodes with corrupt-data warnings (damaged areas become gray).")
    var lenientJpeg = false

    func run() throws {
        try CLI.guarded {
            let options = DecodeOptions(maxPixels: maxPixels, dctScaling: false, strictJPEG: !lenientJpeg)
            let image = try ImageDecoder(options: options).decode(file: file)
            let s = image.source
            print("file: \(file)")
            print("format: \(s.format.rawValue)")
            print("width: \(s.width)")
            print("height: \(s.height)")
            print("channels: \(s.channels) (\(s.colorModel))")
            print("bit depth: \(s.bitDepth)")
            if s.format == .jpeg { print("progressive: \(s.progressive)") }
            if s.format == .png { print("interlaced: \(s.interlaced)") }
            if let rawOutput {
                try AtomicFile.write(Data(image.rgb8()), to: rawOutput)
                print(
                    "wrote \(image.width * image.height * 3) bytes of RGB8 (\(image.width) x \(image.height) x 3) to "
                        + "\(rawOutput)"
                )
            }
        }
    }
}
