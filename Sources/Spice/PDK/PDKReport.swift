#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform

/// The fit report: relative errors of the library's cards against the foundry data per corner, device
/// and region, and SVG plots of Id–Vgs and gm/Id, ours over the foundry's.
public enum PDKReport {
    /// Operating regions by the foundry's gm/Id (1/V): weak > 20, moderate 10–20, strong < 10; and
    /// saturation when |Vds| ≥ max(|Vgs| − Vth, 0) + 0.1 V.
    public enum Region: String, CaseIterable, Sendable { case weak, moderate, strong }

    /// Median and 95th percentile of |relative error| of one quantity over a set of points.
    public struct Stat: Sendable {
        public var count: Int, median: Double, p95: Double
        init(_ values: [Double]) {
            let s = values.sorted()
            count = s.count
            func q(_ f: Double) -> Double { s.isEmpty ? .nan : s[min(s.count - 1, Int((f * Double(s.count - 1)).rounded()))] }
            median = q(0.5); p95 = q(0.95)
        }
    }

    /// The error statistics of one device in one corner.
    public struct Errors: Sendable {
        public var device: String, corner: String
        /// By region and saturation (true) / linear (false).
        public var id: [String: Stat] = [:], gmOverId: [String: Stat] = [:], gds: [String: Stat] = [:]
        public var idAboveThreshold: Stat, idWeak: Stat, gmOverIdAll: Stat, gdsAll: Stat, cgg: Stat
        /// gds in saturation at op-amp bias (foundry gm/Id 8–20 /V, |Vds| 0.2–1.2 V): gain, CMRR and PSRR follow it.
        public var gdsOpAmp: Stat
        /// Id above threshold by geometry "W/L" (µm).
        public var idByGeometry: [String: Stat] = [:]
        /// Id above threshold by sweep condition (body bias, temperature).
        public var idByCondition: [String: Stat] = [:]
    }

    /// The model cards of one corner from a library file.
    public static func cards(library path: String, corner: String) throws -> [ModelCard] {
        let deck = try Deck.parse(".lib check\n.lib \(path) \(corner)\n.end\n", file: "<report>")
        return Array(deck.models.values)
    }

    /// Evaluators per geometry ("W/L" in µm) for one device and corner.
    static func evaluators(_ cards: [ModelCard], device: String, corner: String, geometries: [(w: Double, l: Double)],
                           temperature: Double) throws -> [String: BSIMLiteEvaluator] {
        var out: [String: BSIMLiteEvaluator] = [:]
        for (w, l) in geometries {
            out["\(w)/\(l)"] = try BSIMLiteEvaluator(cards: cards, model: PDKLibrary.modelName(device: device, corner: corner),
                                                     instance: PDKFit.geometry(w: w, l: l), temperature: temperature,
                                                     nominalTemperature: 27)
        }
        return out
    }

    /// Whether a foundry point is at op-amp bias: saturation, gm/Id 8–20 /V, |Vds| 0.2–1.2 V.
    static func isOpAmpBias(_ p: PDKPoint) -> Bool {
        guard p.id > 0, p.gm > 0, p.gds > 0 else { return false }
        let gmId = p.gm / p.id, vds = abs(p.vds)
        return gmId >= 8 && gmId <= 20 && vds >= 0.2 && vds <= 1.2 && vds >= max(abs(p.vgs) - p.vth, 0) + 0.1
    }

    /// Error statistics of the library's cards against the data of one device and corner.
    public static func errors(cards: [ModelCard], data: PDKDataset) throws -> Errors {
        let g = data.geometries
        let e27 = try evaluators(cards, device: data.device, corner: data.corner, geometries: g, temperature: 27)
        let e25 = data.points.contains { $0.temp == 25 } || !data.ac.isEmpty
            ? try evaluators(cards, device: data.device, corner: data.corner, geometries: g, temperature: 25) : [:]
        var id: [String: [Double]] = [:], gmid: [String: [Double]] = [:], gds: [String: [Double]] = [:]
        var byGeometry: [String: [Double]] = [:], byCondition: [String: [Double]] = [:]
        var above: [Double] = [], weak: [Double] = [], gmAll: [Double] = [], gdsAll: [Double] = [], cgg: [Double] = []
        var gdsOpAmp: [Double] = []
        for p in data.points where abs(p.vds) >= 0.01 && p.id > 1e-10 {
            guard let e = (p.temp == 25 ? e25 : e27)["\(p.w)/\(p.l)"] else { continue }
            let y = e.current(vgs: p.vgs, vds: p.vds, vbs: p.vbs)
            let idm = abs(y.id)
            let gmId = p.gm / p.id
            let region: Region = gmId > 20 ? .weak : gmId > 10 ? .moderate : .strong
            let sat = abs(p.vds) >= max(abs(p.vgs) - p.vth, 0) + 0.1
            let key = "\(region.rawValue)/\(sat ? "sat" : "lin")"
            let ei = abs(idm / p.id - 1)
            id[key, default: []].append(ei)
            if region == .weak { weak.append(ei) } else {
                above.append(ei)
                byGeometry["\(p.w)/\(p.l)", default: []].append(ei)
                byCondition[p.temp == 25 ? "25 °C" : p.vbs != 0 ? "Vbs ≠ 0" : "27 °C, Vbs = 0", default: []].append(ei)
            }
            if p.gm > 0 {
                let eg = abs((y.gm / idm) / gmId - 1)
                gmid[key, default: []].append(eg); gmAll.append(eg)
            }
            if p.gds > 0 && abs(p.vds) >= 0.05 {
                let ed = abs(y.gds / p.gds - 1)
                gds[key, default: []].append(ed); gdsAll.append(ed)
                if isOpAmpBias(p) { gdsOpAmp.append(ed) }
            }
        }
        for q in data.ac {
            guard let e = e25["\(q.w)/\(q.l)"] else { continue }
            let y = e.evaluate(vgs: q.vgs, vds: q.vds, vbs: q.vbs)
            cgg.append(abs(y.cgg / q.cgg - 1))
        }
        return Errors(device: data.device, corner: data.corner, id: id.mapValues(Stat.init), gmOverId: gmid.mapValues(Stat.init),
                      gds: gds.mapValues(Stat.init), idAboveThreshold: Stat(above), idWeak: Stat(weak),
                      gmOverIdAll: Stat(gmAll), gdsAll: Stat(gdsAll), cgg: Stat(cgg), gdsOpAmp: Stat(gdsOpAmp),
                      idByGeometry: byGeometry.mapValues(Stat.init), idByCondition: byCondition.mapValues(Stat.init))
    }

    static func pct(_ v: Double) -> String { v.isNaN ? "–" : String(printf: "%.1f", 100 * v) }

    static let summaryHeader = [
        "| corner | device | Id above Vth med / p95 | Id weak med / p95 | gm/Id med / p95 | gds med / p95 | Cgg med / p95 | gds op-amp bias med / p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]

    static func summaryRow(_ e: Errors) -> String {
        "| \(e.corner) | \(e.device) | \(pct(e.idAboveThreshold.median)) / \(pct(e.idAboveThreshold.p95)) | "
            + "\(pct(e.idWeak.median)) / \(pct(e.idWeak.p95)) | \(pct(e.gmOverIdAll.median)) / \(pct(e.gmOverIdAll.p95)) | "
            + "\(pct(e.gdsAll.median)) / \(pct(e.gdsAll.p95)) | \(pct(e.cgg.median)) / \(pct(e.cgg.p95)) | "
            + "\(pct(e.gdsOpAmp.median)) / \(pct(e.gdsOpAmp.p95)) |"
    }

    /// Error statistics of a library against the held-out geometries (`-mid` files), per corner and device.
    public static func heldOutErrors(library: String, data folder: String, corners: [String], devices: [String]) throws -> [Errors] {
        var out: [Errors] = []
        for corner in corners {
            let cards = try cards(library: library, corner: corner)
            for device in devices {
                out.append(try errors(cards: cards, data: PDKDataset.load(folder: folder, device: device, corner: corner, set: .mid)))
            }
        }
        return out
    }

    /// The held-out section: the same metrics on geometries between the grid points (never fitted), and Id
    /// above threshold per geometry for tt; empty when the data folder has no `-mid` files.
    static func heldOut(cards: [String: [ModelCard]], data folder: String, corners: [String], devices: [String]) throws -> [String] {
        guard let first = corners.first, let device = devices.first,
              FileManager.default.fileExists(atPath: folder + "/\(device)-\(first)-mid.f32") else { return [] }
        var md = ["", "## Held-out geometries (between the grid points; never fitted)", ""]
        let sample = try PDKDataset.load(folder: folder, device: device, corner: first, set: .mid)
        md.append("W × L (µm): " + sample.geometries.map { String(printf: "%g/%g", $0.w, $0.l) }.joined(separator: ", ")
                  + "; 27 °C sweeps Id–Vgs at |Vds| 0.05 and 0.9 V (and 0.9 V with body bias), Id–Vds at |Vgs| 0.5–1.2 V; "
                  + "Cgg from the 1 MHz AC set. W > 100 µm is outside the fitted range (the cards hold their W = 100 µm values there).")
        md.append("")
        md += summaryHeader
        var all: [Errors] = []
        for corner in corners {
            guard let c = cards[corner] else { continue }
            for device in devices {
                let e = try errors(cards: c, data: PDKDataset.load(folder: folder, device: device, corner: corner, set: .mid))
                all.append(e)
                md.append(summaryRow(e))
            }
        }
        let corner = corners.contains("tt") ? "tt" : first
        let chosen = all.filter { $0.corner == corner }
        md.append("")
        md.append("### Held out, \(corner): Id above threshold, median / p95 by geometry")
        md.append("")
        md.append("| W/L µm | " + chosen.map(\.device).joined(separator: " | ") + " |")
        md.append("|---|" + chosen.map { _ in "---|" }.joined())
        for g in sample.geometries.sorted(by: { ($0.l, $0.w) < ($1.l, $1.w) }) {
            let key = "\(g.w)/\(g.l)"
            md.append(String(printf: "| %g/%g | ", g.w, g.l) + chosen.map { e in
                e.idByGeometry[key].map { "\(pct($0.median)) / \(pct($0.p95))" } ?? "–"
            }.joined(separator: " | ") + " |")
        }
        return md
    }

    /// Writes the markdown report and its SVG plots (next to it, in `<name>-plots/`); returns the plot count.
    @discardableResult
    public static func write(library: String, data folder: String, corners: [String], devices: [String], to path: String) throws -> Int {
        var md: [String] = []
        md.append("# sky130 BSIM-lite cards: fit report")
        md.append("")
        md.append("Generated by `miller pdk fit --report` from `\(library)` and the foundry data in `\(folder)`; do not edit.")
        md.append("Relative errors |ours/foundry − 1| in %, median / 95th percentile. Regions by the foundry's gm/Id:")
        md.append("weak > 20 /V, moderate 10–20 /V, strong < 10 /V; sat when |Vds| ≥ max(|Vgs| − Vth, 0) + 0.1 V.")
        md.append("gds op-amp bias: saturation points with foundry gm/Id 8–20 /V and |Vds| 0.2–1.2 V.")
        md.append("Points with Id < 0.1 nA or |Vds| < 10 mV are left out. Cgg: total terminal Cgg from the 1 MHz AC data.")
        md.append("")
        md.append("## Acceptance summary (issue 5: Id ≤ 3 % median, ≤ 10 % p95 above threshold; ≤ 10 % weak; gm/Id ≤ 3 %; gds ≤ 15 %; Cgg ≤ 5 %)")
        md.append("")
        md += summaryHeader
        var all: [Errors] = []
        var cardsByCorner: [String: [ModelCard]] = [:]
        for corner in corners {
            let cards = try cards(library: library, corner: corner)
            cardsByCorner[corner] = cards
            for device in devices {
                let data = try PDKDataset.load(folder: folder, device: device, corner: corner)
                let e = try errors(cards: cards, data: data)
                all.append(e)
                md.append(summaryRow(e))
            }
        }
        md += try heldOut(cards: cardsByCorner, data: folder, corners: corners, devices: devices)
        md += try PDKNoiseFit.report(library: library, data: folder, corners: corners, devices: devices)
        md.append("")
        md.append("## By region")
        for e in all {
            md.append("")
            md.append("### \(e.device), \(e.corner)")
            md.append("")
            md.append("Id above threshold, median / p95 by W (rows) × L (columns), µm: "
                      + e.idByCondition.keys.sorted().map { "\($0): \(pct(e.idByCondition[$0]!.median)) / \(pct(e.idByCondition[$0]!.p95))" }
                      .joined(separator: "; "))
            md.append("")
            let ws = Set(e.idByGeometry.keys.map { Double($0.split(separator: "/")[0])! }).sorted()
            let ls = Set(e.idByGeometry.keys.map { Double($0.split(separator: "/")[1])! }).sorted()
            md.append("| W \\ L | " + ls.map { String(printf: "%g", $0) }.joined(separator: " | ") + " |")
            md.append("|---|" + ls.map { _ in "---|" }.joined())
            for w in ws {
                md.append("| \(String(printf: "%g", w)) | " + ls.map { l in
                    e.idByGeometry["\(w)/\(l)"].map { "\(pct($0.median)) / \(pct($0.p95))" } ?? "–"
                }.joined(separator: " | ") + " |")
            }
            md.append("")
            md.append("| region | n | Id med / p95 | gm/Id med / p95 | gds med / p95 |")
            md.append("|---|---|---|---|---|")
            for r in Region.allCases {
                for s in ["lin", "sat"] {
                    let k = "\(r.rawValue)/\(s)"
                    guard let i = e.id[k] else { continue }
                    let g = e.gmOverId[k], d = e.gds[k]
                    md.append("| \(r.rawValue) \(s) | \(i.count) | \(pct(i.median)) / \(pct(i.p95)) | "
                              + "\(pct(g?.median ?? .nan)) / \(pct(g?.p95 ?? .nan)) | \(pct(d?.median ?? .nan)) / \(pct(d?.p95 ?? .nan)) |")
                }
            }
        }

        // Plots: tt (or the first corner), W = 5 µm, a short, a medium and a long device, Vds = 0.9 V, Vbs = 0.
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
        let plotDir = "sky130-plots"
        try FileManager.default.createDirectory(atPath: dir.isEmpty ? plotDir : dir + "/" + plotDir, withIntermediateDirectories: true)
        var count = 0
        let corner = corners.contains("tt") ? "tt" : corners[0]
        let cards = try cards(library: library, corner: corner)
        md.append("")
        md.append("## Plots (\(corner), Vds = ±0.9 V, Vbs = 0, 27 °C; foundry: dots, ours: line)")
        md.append("")
        for device in devices {
            let data = try PDKDataset.load(folder: folder, device: device, corner: corner)
            for l in [0.15, 1.0, 8.0] where data.lengths.contains(l) {
                let w = data.widths.contains(5) ? 5.0 : data.widths[data.widths.count / 2]
                let pts = data.points.filter { $0.w == w && $0.l == l && $0.temp == 27 && abs(abs($0.vds) - 0.9) < 1e-6 && $0.vbs == 0 && abs($0.vgs) > 0 }
                    .filter { abs($0.vds) > 0 && $0.vgs.sign == $0.vds.sign || $0.vgs == 0 }
                guard !pts.isEmpty else { continue }
                let e = try BSIMLiteEvaluator(cards: cards, model: PDKLibrary.modelName(device: device, corner: corner),
                                              instance: PDKFit.geometry(w: w, l: l), temperature: 27, nominalTemperature: 27)
                var ours: [(Double, Double, Double)] = []
                for p in pts {
                    let y = e.current(vgs: p.vgs, vds: p.vds, vbs: p.vbs)
                    ours.append((abs(p.vgs), abs(y.id), y.gm / max(abs(y.id), 1e-30)))
                }
                let ref = pts.map { (abs($0.vgs), $0.id, $0.gm / $0.id) }
                let name = "\(device)-\(corner)-W\(SVGPlot.tag(w))-L\(SVGPlot.tag(l))"
                let idSVG = SVGPlot(title: "\(device) \(corner) W=\(w) L=\(l): Id (A) vs |Vgs| (V)", logY: true)
                    .render(reference: ref.map { ($0.0, $0.1) }, model: ours.map { ($0.0, $0.1) })
                let gmSVG = SVGPlot(title: "\(device) \(corner) W=\(w) L=\(l): gm/Id (1/V) vs |Vgs| (V)", logY: false)
                    .render(reference: ref.map { ($0.0, $0.2) }.filter { $0.1 > 0 }, model: ours.map { ($0.0, $0.2) })
                // Cgg at Vds = ±0.9 V from the AC data (25 °C).
                let acPts = data.ac.filter { $0.w == w && $0.l == l && abs(abs($0.vds) - 0.9) < 1e-6 }
                let eAC = try BSIMLiteEvaluator(cards: cards, model: PDKLibrary.modelName(device: device, corner: corner),
                                                instance: PDKFit.geometry(w: w, l: l), temperature: 25, nominalTemperature: 27)
                let cggSVG = SVGPlot(title: "\(device) \(corner) W=\(w) L=\(l): Cgg (fF) vs |Vgs| (V), |Vds| = 0.9", logY: false)
                    .render(reference: acPts.map { (abs($0.vgs), $0.cgg * 1e15) },
                            model: acPts.map { (abs($0.vgs), eAC.evaluate(vgs: $0.vgs, vds: $0.vds, vbs: $0.vbs).cgg * 1e15) })
                for (suffix, svg) in [("id", idSVG), ("gmid", gmSVG), ("cgg", cggSVG)] {
                    let file = "\(plotDir)/\(name)-\(suffix).svg"
                    try svg.write(toFile: dir.isEmpty ? file : dir + "/" + file, atomically: true, encoding: .utf8)
                    md.append("![\(name) \(suffix)](\(file))")
                    count += 1
                }
                md.append("")
            }
        }
        try (md.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return count
    }
}

/// A minimal SVG line/point plot: the reference as dots, the model as a line, linear or log y axis.
struct SVGPlot {
    var title: String
    var logY: Bool
    let width = 480.0, height = 320.0, margin = 50.0

    static func tag(_ v: Double) -> String { String(printf: "%g", v).replacing(".", with: "p") }

    func render(reference: [(Double, Double)], model: [(Double, Double)]) -> String {
        func y(_ v: Double) -> Double? { logY ? (v > 0 ? log10(v) : nil) : v }
        let xs = (reference + model).map(\.0)
        let ys = (reference + model).compactMap { y($0.1) }.filter(\.isFinite)
        let x0 = xs.min() ?? 0, x1 = max(xs.max() ?? 1, x0 + 1e-9)
        var y0 = ys.min() ?? 0, y1 = ys.max() ?? 1
        if logY { y0 = max(y0, y1 - 10) }
        if y1 - y0 < 1e-12 { y1 = y0 + 1 }
        func px(_ x: Double) -> Double { margin + (x - x0) / (x1 - x0) * (width - 1.5 * margin) }
        func py(_ v: Double) -> Double { height - margin + 10 - (min(max(v, y0), y1) - y0) / (y1 - y0) * (height - 1.5 * margin) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(margin)\" y=\"18\">\(title)</text>\n"
        let left = px(x0), right = px(x1), bottom = py(y0), top = py(y1)
        s += String(printf: "<path d=\"M%.1f %.1f L%.1f %.1f L%.1f %.1f\" fill=\"none\" stroke=\"black\"/>\n", left, top, left, bottom, right, bottom)
        for i in 0...4 {
            let v = y0 + Double(i) / 4 * (y1 - y0)
            let label = logY ? String(printf: "1e%.1f", v) : String(printf: "%.3g", v)
            s += String(printf: "<text x=\"4\" y=\"%.1f\">%@</text>\n", py(v) + 4, label)
            let xv = x0 + Double(i) / 4 * (x1 - x0)
            s += String(printf: "<text x=\"%.1f\" y=\"%.1f\">%.2f</text>\n", px(xv) - 10, bottom + 16, xv)
        }
        for (x, v) in reference { if let yv = y(v), yv.isFinite { s += String(printf: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#d62728\"/>\n", px(x), py(yv)) } }
        let path = model.compactMap { p -> String? in y(p.1).flatMap { $0.isFinite ? String(printf: "%.1f %.1f", px(p.0), py($0)) : nil } }
        if !path.isEmpty { s += "<path d=\"M" + path.joined(separator: " L") + "\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n" }
        s += String(printf: "<text x=\"%.1f\" y=\"34\" fill=\"#d62728\">● foundry (ngspice BSIM4)</text>\n", right - 170)
        s += String(printf: "<text x=\"%.1f\" y=\"48\" fill=\"#1f77b4\">— Miller BSIM-lite fit</text>\n", right - 170)
        return s + "</svg>\n"
    }
}
