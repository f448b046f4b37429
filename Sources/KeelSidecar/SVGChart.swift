import Foundation

/// A line chart as a standalone SVG file a person can open in a browser: one or more series,
/// horizontal reference lines (baseline, threshold), an optional shaded span (warm-up), axes
/// with their ranges written out. Deliberately small: soak reports need nothing more.
public struct SVGChart: Sendable {
    /// One polyline.
    public struct Series: Sendable {
        /// Legend text.
        public var name: String
        /// Stroke colour.
        public var color: String
        /// Points (x, y) in data units.
        public var points: [(x: Double, y: Double)]
        /// A stroke dash pattern (`"6 3"`), so lines differ by more than colour.
        public var dash: String?

        /// `color` goes into the SVG as it is (a CSS colour); points in any order.
        public init(name: String, color: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.points = points
        }
    }

    /// Title above the plot.
    public var title: String
    /// X axis label.
    public var xLabel: String
    /// Y axis label.
    public var yLabel: String
    /// The lines.
    public var series: [Series]
    /// Dashed horizontal lines: label, y, colour.
    public var references: [(label: String, y: Double, color: String)] = []
    /// A shaded x span and its label.
    public var shaded: (from: Double, to: Double, label: String)?
    /// Whether the y axis starts at zero (false zooms to the data, for RSS and the like).
    public var includeZero = true

    /// Axes are scaled to the data; labels are escaped for SVG.
    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// The SVG document; `fluid` sizes it to its container (inline in a page) instead of
    /// `width`×`height` pixels (a standalone file).
    public func render(width: Double = 900, height: Double = 420, fluid: Bool = false) -> String {
        let left = 80.0, right = 20.0, top = series.count > 3 ? 62.0 : 40.0, bottom = 50.0
        let plotW = width - left - right, plotH = height - top - bottom
        let xs = series.flatMap { $0.points.map(\.x) }
        let ys = series.flatMap { $0.points.map(\.y) } + references.map(\.y)
        var minX = xs.min() ?? 0, maxX = xs.max() ?? 1
        var minY = includeZero ? min(0, ys.min() ?? 0) : (ys.min() ?? 0), maxY = ys.max() ?? 1
        if !includeZero { minY -= (maxY - minY) * 0.05 }
        if maxX <= minX { maxX = minX + 1 }
        if maxY <= minY { maxY = minY + 1 }
        maxY += (maxY - minY) * 0.05
        minX = min(minX, shaded?.from ?? minX)
        func px(_ x: Double) -> Double { left + (x - minX) / (maxX - minX) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - minY) / (maxY - minY) * plotH }
        // One decimal without String(format:), which costs microseconds a call on Linux: a status
        // page draws thousands of coordinates.
        func f(_ v: Double) -> String {
            guard v.isFinite else { return "0" }
            let tenths = Int64((v * 10).rounded())
            let whole = String(tenths.magnitude / 10), fraction = tenths.magnitude % 10
            return (tenths < 0 ? "-" : "") + whole + (fraction == 0 ? "" : "." + String(fraction))
        }
        let esc = HTML.escape
        func tick(_ v: Double) -> String { abs(v) >= 100 || v == v.rounded() ? String(format: "%.0f", v) : String(format: "%.2f", v) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" \(fluid ? "width=\"100%\"" : "width=\"\(f(width))\" height=\"\(f(height))\"") viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="12" role="img">
            <title>\(esc(title))</title>
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left))" y="22" font-size="15" font-weight="bold">\(esc(title))</text>

            """
        if let shaded {
            svg +=
                "<rect x=\"\(f(px(shaded.from)))\" y=\"\(f(top))\" width=\"\(f(max(0, px(shaded.to) - px(shaded.from))))\" height=\"\(f(plotH))\" fill=\"#eeeeee\"/>\n"
            svg += "<text x=\"\(f(px(shaded.from) + 4))\" y=\"\(f(top + 14))\" fill=\"#777\">\(esc(shaded.label))</text>\n"
        }
        for i in 0...4 {
            let y = minY + (maxY - minY) * Double(i) / 4
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(y)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(y)))\" stroke=\"#ddd\"/>\n"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(tick(y))</text>\n"
            let x = minX + (maxX - minX) * Double(i) / 4
            svg += "<text x=\"\(f(px(x)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(tick(x))</text>\n"
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#444\"/>\n"
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        svg += "<text transform=\"translate(18 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        for reference in references {
            svg +=
                "<line x1=\"\(f(left))\" y1=\"\(f(py(reference.y)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(reference.y)))\" stroke=\"\(reference.color)\" stroke-dasharray=\"6 4\"/>\n"
            svg +=
                "<text x=\"\(f(left + plotW - 4))\" y=\"\(f(py(reference.y) - 4))\" text-anchor=\"end\" fill=\"\(reference.color)\">\(esc(reference.label))</text>\n"
        }
        for (index, line) in series.enumerated() {
            let points = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            let dash = line.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            svg += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.5\"\(dash) points=\"\(points)\"/>\n"
            // The legend: a sample of the line (its dash too) and its name, in rows of three.
            let lx = left + Double(index % 3) * (plotW / 3), ly = top - 8 - Double(series.count > 3 ? (1 - index / 3) * 14 : 0)
            svg += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 24))\" y2=\"\(f(ly - 4))\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash)/>\n"
            svg += "<text x=\"\(f(lx + 28))\" y=\"\(f(ly))\" fill=\"\(line.color)\">\(esc(line.name))</text>\n"
        }
        return svg + "</svg>\n"
    }
}
