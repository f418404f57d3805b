import Foundation

/// A minimal SVG writer for the evaluation report's figures: box plots, a histogram and a scatter plot, with axis
/// ticks at round values.
public enum SVGPlot {
    /// Ticks at multiples of 1, 2 or 5 × 10^k covering [low, high] with about `count` intervals, and the number of
    /// decimals that prints them exactly.
    public static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> (values: [Double], decimals: Int) {
        guard high > low, low.isFinite, high.isFinite else { return ([low], 2) }
        let raw = (high - low) / Double(count)
        let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var values: [Double] = []
        var k = Foundation.ceil(low / step - 1e-9)
        while k * step <= high + step * 1e-9 { values.append(k * step == 0 ? 0 : k * step); k += 1 }
        let decimals = max(0, -Int(Foundation.floor(Foundation.log10(step) + 1e-9)))
        return (values, decimals)
    }

    static func tickLabel(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

    /// One point per label: x against y, with optional dashed reference lines (e.g. nominal coverage).
    public static func scatter(title: String, xAxis: String, yAxis: String, points: [(label: String, x: Double, y: Double)],
                               verticalLine: Double? = nil) -> String {
        let width = 640, height = 400
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        var (xLow, xHigh) = (finite.map(\.x).min() ?? 0, finite.map(\.x).max() ?? 1)
        var (yLow, yHigh) = (finite.map(\.y).min() ?? 0, finite.map(\.y).max() ?? 1)
        if let line = verticalLine { xLow = min(xLow, line); xHigh = max(xHigh, line) }
        if xLow == xHigh { xLow -= 0.5; xHigh += 0.5 }
        if yLow == yHigh { yLow -= 0.5; yHigh += 0.5 }
        let xPad = (xHigh - xLow) * 0.08, yPad = (yHigh - yLow) * 0.08
        xLow -= xPad; xHigh += xPad; yLow -= yPad; yHigh += yPad
        let top = 40.0, bottom = Double(height) - 60, left = 80.0, right = Double(width) - 140
        func x(_ v: Double) -> Double { left + (v - xLow) / (xHigh - xLow) * (right - left) }
        func y(_ v: Double) -> Double { bottom - (v - yLow) / (yHigh - yLow) * (bottom - top) }
        var body = header(width: width, height: height, title: title)
        body += axisLines(left: left, top: top, bottom: bottom, low: yLow, high: yHigh, label: yAxis, y: y)
        body += "<line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(bottom))\" y2=\"\(f(bottom))\" stroke=\"#333\"/>\n"
        let (xTicks, decimals) = ticks(xLow, xHigh)
        for v in xTicks {
            body += "<text x=\"\(f(x(v)))\" y=\"\(f(bottom + 16))\" font-size=\"10\" text-anchor=\"middle\">\(tickLabel(v, decimals))</text>\n"
        }
        body += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 40))\" font-size=\"12\" text-anchor=\"middle\">\(escape(xAxis))</text>\n"
        if let line = verticalLine {
            body += "<line x1=\"\(f(x(line)))\" x2=\"\(f(x(line)))\" y1=\"\(f(top))\" y2=\"\(f(bottom))\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n"
        }
        let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        for (index, point) in finite.enumerated() {
            let colour = colours[index % colours.count]
            body += "<circle cx=\"\(f(x(point.x)))\" cy=\"\(f(y(point.y)))\" r=\"5\" fill=\"\(colour)\"/>\n"
            body += "<circle cx=\"\(f(right + 20))\" cy=\"\(f(top + 16 * Double(index)))\" r=\"5\" fill=\"\(colour)\"/>\n"
            body += "<text x=\"\(f(right + 30))\" y=\"\(f(top + 16 * Double(index) + 4))\" font-size=\"11\">\(escape(point.label))</text>\n"
        }
        return body + "</svg>\n"
    }

    /// One method's per-unit intervals on one dataset (the paper's interval examples, Figs. 5 and 15): up to
    /// `shown` units evenly spaced in the order of their true effect, each an interval bar with its true effect as
    /// a dot, black when strictly inside and red when not.
    public static func intervals(title: String, axis: String, truth: [Double], lower: [Double], upper: [Double],
                                 shown: Int = 100) -> String {
        let width = 760, height = 400
        let order = truth.indices.filter { truth[$0].isFinite && lower[$0].isFinite && upper[$0].isFinite }
            .sorted { truth[$0] < truth[$1] || (truth[$0] == truth[$1] && $0 < $1) }
        let count = min(shown, order.count)
        let picked = (0..<count).map { order[count > 1 ? $0 * (order.count - 1) / (count - 1) : 0] }
        var low = picked.map { min(truth[$0], lower[$0]) }.min() ?? 0, high = picked.map { max(truth[$0], upper[$0]) }.max() ?? 1
        if low == high { low -= 1; high += 1 }
        let pad = (high - low) * 0.05
        low -= pad; high += pad
        let top = 40.0, bottom = Double(height) - 60, left = 80.0, right = Double(width) - 20
        func y(_ v: Double) -> Double { bottom - (v - low) / (high - low) * (bottom - top) }
        func x(_ k: Int) -> Double { left + (Double(k) + 0.5) / Double(max(count, 1)) * (right - left) }
        var body = header(width: width, height: height, title: title)
        body += axisLines(left: left, top: top, bottom: bottom, low: low, high: high, label: axis, y: y)
        body += "<line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(bottom))\" y2=\"\(f(bottom))\" stroke=\"#333\"/>\n"
        let covered = order.filter { lower[$0] < truth[$0] && truth[$0] < upper[$0] }.count
        let caption = "\(count) of \(order.count) units by true effect; the truth inside \(covered) of \(order.count) intervals"
        body += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 24))\" font-size=\"12\" text-anchor=\"middle\">\(escape(caption))</text>\n"
        for (k, i) in picked.enumerated() {
            let inside = lower[i] < truth[i] && truth[i] < upper[i]
            body += "<line x1=\"\(f(x(k)))\" x2=\"\(f(x(k)))\" y1=\"\(f(y(lower[i])))\" y2=\"\(f(y(upper[i])))\" stroke=\"#6baed6\" stroke-width=\"2\"/>\n"
            body += "<circle cx=\"\(f(x(k)))\" cy=\"\(f(y(truth[i])))\" r=\"2.5\" fill=\"\(inside ? "#000" : "#d62728")\"/>\n"
        }
        return body + "</svg>\n"
    }

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
        let (xTicks, decimals) = ticks(low, high)
        for v in xTicks {
            let position = left + (v - low) / (high - low) * (right - left)
            body += "<text x=\"\(f(position))\" y=\"\(f(bottom + 18))\" font-size=\"11\" text-anchor=\"middle\">\(tickLabel(v, decimals))</text>\n"
        }
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
        let (values, decimals) = ticks(low, high)
        for v in values {
            body += "<line x1=\"\(f(left - 4))\" x2=\"\(f(left))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#333\"/>\n"
            body += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" font-size=\"10\" text-anchor=\"end\">\(tickLabel(v, decimals))</text>\n"
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
