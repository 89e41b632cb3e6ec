import Foundation
@testable import QBHarness
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The report's charts: every series drawn, number labels that never overlap, readable axes, the Pareto front, one
/// mixed-precision panel per distinct front; rendered to PNG by librsvg's rsvg-convert when it is installed
/// (`.ci/run` installs Debian's librsvg2-bin).
@Suite("Charts: series, labels, axes, fronts, rendering")
struct ChartTests {
    /// The parsed SVG: per panel (title) its points' variants, its label boxes and its tick texts; legend entries.
    final class Parsed: NSObject, XMLParserDelegate {
        var panels = [
            (
                title: String, points: [String], pointBoxes: [ChartLabels.Box], labels: [ChartLabels.Box],
                ticks: [String]
            )
        ]()
        var legend = 0, fronts = 0, frontPanels = 0
        var pendingLabel: (Double, Double)?
        var inTick = false
        var text = ""
        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
            attributes a: [String: String] = [:]
        ) {
            text = ""
            switch (element, a["class"]) {
            case ("g", "panel"?): panels.append((a["data-title"] ?? "", [], [], [], []))
            case ("g", "front-panel"?): frontPanels += 1
            case ("circle", "point"?):
                let x = Double(a["cx"] ?? "") ?? 0, y = Double(a["cy"] ?? "") ?? 0
                panels[panels.count - 1].points.append(a["data-variant"] ?? "")
                panels[panels.count - 1].pointBoxes.append(.init(x: x - 3.5, y: y - 3.5, width: 7, height: 7))
            case ("circle", "legend"?): legend += 1
            case ("polyline", "front"?): fronts += 1
            case ("text", "label"?): pendingLabel = (Double(a["x"] ?? "") ?? 0, Double(a["y"] ?? "") ?? 0)
            case ("text", nil) where a["font-size"] == "10" && a["text-anchor"] == "end": inTick = true
            default: break
            }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
        func parser(
            _ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?
        ) {
            if element == "text", let (x, y) = pendingLabel {
                panels[panels.count - 1].labels.append(ChartLabels.box(of: text, baselineX: x, baselineY: y))
                pendingLabel = nil
            }
            if element == "text" && inTick {
                panels[panels.count - 1].ticks.append(text)
                inTick = false
            }
        }
    }

    static func parse(_ svg: String) -> Parsed {
        let parser = XMLParser(data: Data(svg.utf8))
        let parsed = Parsed()
        parser.delegate = parsed
        #expect(parser.parse(), "the SVG must be well-formed XML")
        return parsed
    }

    /// A crowded classifier (22 variants, many at nearly the same spot) and a language model.
    static func crowded() -> SuiteResults {
        var results = syntheticResults()
        let base = results.rows[0]
        let names = [
            "int8", "int8-pt", "int8-pct", "int8-mse", "int8-kl", "w8", "w6a6", "w4a8", "w4a4", "fgq-n4",
            "fgq-n64", "pow2-5", "pow2-7", "fq-5-s50", "mp-b6", "mp-b5", "int8+qwt", "w4a4+qwt", "fgq-n4+qwt",
            "pow2-5+qwt", "ort-int8",
        ]
        for (i, name) in names.enumerated() {
            var row = base
            row.variant = name
            let bits = [8.0, 8, 8, 8, 8, 8, 6, 4, 4, 2, 2, 5, 7, 5, 6, 5, 8, 4, 2, 5, 8][i]
            row.metrics["top1"] = 0.80 + bits * 0.01 - Double(i % 5) * 0.001 - (name.contains("w4a4") ? 0.1 : 0)
            row.metrics["bits_per_weight"] = bits
            row.metrics["model_bytes"] = 1234 * 8 / row.metrics["bits_per_weight"]!
            if name.hasPrefix("ort") { row.source = "Models/cnn/ort.onnx" }
            results.rows.insert(row, at: 1 + i)
        }
        var lm = results.rows.last!
        lm.variant = "w4a4"
        lm.metrics["perplexity"] = 318
        lm.metrics["bits_per_weight"] = 4
        results.rows.append(lm)
        return results
    }

    @Test("every variant is a point in both panels; no number label overlaps another label or a point")
    func seriesAndLabels() {
        let results = Self.crowded()
        let parsed = Self.parse(ChartWriter.svg(results))
        #expect(parsed.panels.count == 4, "two panels per model")
        let cnn = results.rows.filter { $0.model == "cnn" }.map(\.variant)
        for panel in parsed.panels where panel.title.hasPrefix("cnn") {
            #expect(panel.points == cnn, "\(panel.title): \(panel.points)")
        }
        for panel in parsed.panels {
            for (i, a) in panel.labels.enumerated() {
                #expect(!panel.labels[(i + 1)...].contains(where: a.overlaps), "\(panel.title): labels overlap")
                #expect(!panel.pointBoxes.contains(where: a.overlaps), "\(panel.title): a label covers a point")
            }
        }
        #expect(parsed.legend == 8, "a legend entry per family present: \(parsed.legend)")
        #expect(parsed.fronts >= 2, "the Pareto front is drawn")
    }

    @Test("readable axes: several ticks; perplexity on its own positive (log) axis")
    func axes() {
        let parsed = Self.parse(ChartWriter.svg(Self.crowded()))
        for panel in parsed.panels { #expect(panel.ticks.count >= 3, "\(panel.title): ticks \(panel.ticks)") }
        let lm = parsed.panels.filter { $0.title.hasPrefix("lm") }
        #expect(!lm.isEmpty && lm.allSatisfy { $0.ticks.allSatisfy { (Double($0) ?? -1) > 0 } }, "\(lm.map(\.ticks))")
        let axis = ChartAxis(values: [90.1, 90.6, 91.7], scale: .linear)
        #expect(axis.ticks.count >= 3 && axis.low <= 90.1 && axis.high >= 91.7)
        #expect(ChartAxis(values: [1.58, 8, 32], scale: .log2).ticks == [1, 2, 4, 8, 16, 32])
    }

    @Test("the Pareto front keeps the points no smaller point beats")
    func front() {
        let row = syntheticResults().rows[0]
        let points = [(8.0, 90.0), (4, 89), (4, 85), (2, 70), (6, 88), (32, 91)].enumerated().map {
            ChartWriter.Point(number: $0 + 1, row: row, x: $1.0, y: $1.1)
        }
        #expect(ChartWriter.paretoFront(points, lowerIsBetter: false).map(\.number) == [4, 2, 1, 6])
        #expect(ChartWriter.paretoFront(points, lowerIsBetter: true).map(\.number) == [4])
    }

    @Test("the SVG renders to PNG with librsvg (skipped, saying so, when rsvg-convert is not installed)")
    func renders() throws {
        let rsvg = "/usr/bin/rsvg-convert"
        guard FileManager.default.isExecutableFile(atPath: rsvg) else {
            print("skipped: \(rsvg) is not installed (apt-get install librsvg2-bin)")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qb-chart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let svg = folder.appendingPathComponent("chart.svg"), png = folder.appendingPathComponent("chart.png")
        try Data(ChartWriter.svg(Self.crowded()).utf8).write(to: svg)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: rsvg)
        process.arguments = ["-o", png.path, svg.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let bytes = try Data(contentsOf: png)
        #expect(bytes.count > 1000 && bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    }
}
