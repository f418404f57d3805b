import Foundation

/// A minimal SVG writer for the evaluation report's two figures: box plots and a histogram.
public enum SVGPlot {
    /// Box plots (quartiles, whiskers at 1.5 IQR, outliers as dots) of each group's values, on one axis.
    public static func boxPlot(title: String, axis: String, groups: [(label: String, values: [Double])]) -> String {
        let width = 120 + 90 * max(1, groups.count), height = 360
        let all = groups.flatMap(\.values).filter(\.isFinite)
        var (low, high) = (all.min() ?? 0, all.max() ?? 1)
        if low == high { low -= 1; high += 1 }
        let pad = (high - low) * 0.05
        low -= pad; high += pad
        let top = 40.0, bottom = Double(height) - 60
        func y(_ v: Double) -> Double { bottom - (v - low) / (high - low) * (bottom - top) }
        var body = header(width: width, height: height, title: title)
        body += axisLines(left: 80, top: top, bottom: bottom, low: low, high: high, label: axis, y: y)
        if low < 0 && high > 0 {
            body += "<line x1=\"80\" x2=\"\(width - 20)\" y1=\"\(f(y(0)))\" y2=\"\(f(y(0)))\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"
        }
        for (index, group) in groups.enumerated() {
            let values = group.values.filter(\.isFinite).sorted()
            let cx = 80 + 90 * Double(index) + 55
            body += "<text x=\"\(f(cx))\" y=\"\(f(bottom + 20))\" text-anchor=\"middle\" font-size=\"12\">\(escape(group.label))</text>\n"
            guard !values.isEmpty else { continue }
            let q1 = quantile(values, 0.25), q2 = quantile(values, 0.5), q3 = quantile(values, 0.75)
            let iqr = q3 - q1
            let lowWhisker = values.first { $0 >= q1 - 1.5 * iqr } ?? q1
            let highWhisker = values.last { $0 <= q3 + 1.5 * iqr } ?? q3
            body += "<line x1=\"\(f(cx))\" x2=\"\(f(cx))\" y1=\"\(f(y(lowWhisker)))\" y2=\"\(f(y(highWhisker)))\" stroke=\"#333\"/>\n"
            body += "<rect x=\"\(f(cx - 25))\" y=\"\(f(y(q3)))\" width=\"50\" height=\"\(f(max(1, y(q1) - y(q3))))\" fill=\"#9ecae1\" stroke=\"#333\"/>\n"
            body += "<line x1=\"\(f(cx - 25))\" x2=\"\(f(cx + 25))\" y1=\"\(f(y(q2)))\" y2=\"\(f(y(q2)))\" stroke=\"#08306b\" stroke-width=\"2\"/>\n"
            for v in values where v < lowWhisker || v > highWhisker {
                body += "<circle cx=\"\(f(cx))\" cy=\"\(f(y(v)))\" r=\"2\" fill=\"#d62728\"/>\n"
            }
        }
        return body + "</svg>\n"
    }

    /// A histogram of `values` in `bins` equal bins.
    public static func histogram(title: String, axis: String, values: [Double], bins: Int = 20) -> String {
        let width = 640, height = 360
        let finite = values.filter(\.isFinite)
        var (low, high) = (finite.min() ?? 0, finite.max() ?? 1)
        if low == high { low -= 0.5; high += 0.5 }
        var counts = [Int](repeating: 0, count: bins)
        for v in finite { counts[min(bins - 1, Int((v - low) / (high - low) * Double(bins)))] += 1 }
        let top = 40.0, bottom = Double(height) - 60, left = 80.0, right = Double(width) - 20
        let peak = Double(max(1, counts.max() ?? 1))
        var body = header(width: width, height: height, title: title)
        body += axisLines(left: left, top: top, bottom: bottom, low: 0, high: peak, label: "datasets") { bottom - $0 / peak * (bottom - top) }
        let barWidth = (right - left) / Double(bins)
        for (index, count) in counts.enumerated() where count > 0 {
            let h = Double(count) / peak * (bottom - top)
            body += "<rect x=\"\(f(left + Double(index) * barWidth))\" y=\"\(f(bottom - h))\" width=\"\(f(barWidth - 1))\" height=\"\(f(h))\" fill=\"#9ecae1\" stroke=\"#333\"/>\n"
        }
        body += "<text x=\"\(f(left))\" y=\"\(f(bottom + 18))\" font-size=\"11\">\(f(low))</text>\n"
        body += "<text x=\"\(f(right))\" y=\"\(f(bottom + 18))\" font-size=\"11\" text-anchor=\"end\">\(f(high))</text>\n"
        body += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 40))\" font-size=\"12\" text-anchor=\"middle\">\(escape(axis))</text>\n"
        return body + "</svg>\n"
    }

    static func header(width: Int, height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
    }

    static func axisLines(left: Double, top: Double, bottom: Double, low: Double, high: Double, label: String,
                          y: (Double) -> Double) -> String {
        var body = "<line x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top))\" y2=\"\(f(bottom))\" stroke=\"#333\"/>\n"
        for k in 0...4 {
            let v = low + (high - low) * Double(k) / 4
            body += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" font-size=\"10\" text-anchor=\"end\">\(f(v))</text>\n"
        }
        body += "<text x=\"16\" y=\"\(f((top + bottom) / 2))\" font-size=\"12\" transform=\"rotate(-90 16 \(f((top + bottom) / 2)))\" text-anchor=\"middle\">\(escape(label))</text>\n"
        return body
    }

    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position), fraction = position - Double(lower)
        return lower + 1 < sorted.count ? sorted[lower] * (1 - fraction) + sorted[lower + 1] * fraction : sorted[lower]
    }

    static func f(_ v: Double) -> String { String(format: "%.4g", v) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
