import Foundation

/// Places the number labels of a chart's points so that no label covers another label or a point: each label tries
/// positions around its point, nearest first (right, left, above, below, then the diagonals, at growing distances),
/// and takes the first free one inside the plot; one that finds none is drawn nowhere (the caller says so in the
/// key). Text extents are estimated from the font size (`charWidth` per character), the same way every time.
struct ChartLabels {
    struct Box {
        var x: Double, y: Double, width: Double, height: Double

        func overlaps(_ o: Box) -> Bool {
            x < o.x + o.width && o.x < x + width && y < o.y + o.height && o.y < y + height
        }
    }

    static let fontSize = 10.0
    static let charWidth = 6.0

    let plot: Box
    let markers: [Box]
    private(set) var taken = [Box]()

    /// `points`: every marker's centre; `radius`: the markers' radius.
    init(plot: Box, points: [(x: Double, y: Double)], radius: Double) {
        self.plot = plot
        markers = points.map { Box(x: $0.x - radius, y: $0.y - radius, width: 2 * radius, height: 2 * radius) }
    }

    static func box(of text: String, baselineX x: Double, baselineY y: Double) -> Box {
        Box(x: x, y: y - fontSize * 0.8, width: Double(text.count) * charWidth, height: fontSize)
    }

    /// The baseline position of `text` near (`x`, `y`) and its box, or nil when every position is taken.
    mutating func place(_ text: String, nearX x: Double, y: Double) -> (x: Double, y: Double, box: Box)? {
        let width = Double(text.count) * Self.charWidth, height = Self.fontSize
        for distance in [6.0, 12, 20, 30, 42, 56] {
            let candidates: [(Double, Double)] = [
                (x + distance, y + height * 0.35), (x - distance - width, y + height * 0.35),
                (x - width / 2, y - distance), (x - width / 2, y + distance + height * 0.8),
                (x + distance * 0.7, y - distance * 0.7), (x - distance * 0.7 - width, y - distance * 0.7),
                (x + distance * 0.7, y + distance * 0.7 + height * 0.8),
                (x - distance * 0.7 - width, y + distance * 0.7 + height * 0.8),
            ]
            for (bx, by) in candidates {
                let box = Self.box(of: text, baselineX: bx, baselineY: by)
                guard box.x >= plot.x, box.y >= plot.y, box.x + box.width <= plot.x + plot.width,
                    box.y + box.height <= plot.y + plot.height
                else { continue }
                if taken.contains(where: box.overlaps) || markers.contains(where: box.overlaps) { continue }
                taken.append(box)
                return (bx, by, box)
            }
        }
        return nil
    }
}
