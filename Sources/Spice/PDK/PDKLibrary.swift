#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// Turns per-length fits into L-binned level-8 cards and the foundry-compatible library file
/// (`.lib … tt|ff|ss|fs|sf`, subcircuits `sky130_fd_pr__nfet_01v8`/`pfet_01v8` with pins d g s b).
public enum PDKLibrary {
    /// Model-level (non-binnable) parameters of BSIM-lite among the fitted ones: one value per bin.
    static let modelLevel: Set<String> = ["cj", "cjsw"]

    /// The card name of a device in a corner, e.g. `nfet_01v8_tt`.
    public static func modelName(device: String, corner: String) -> String { "\(device)_\(corner)" }

    /// Binned cards `NAME.1 … NAME.k`, one per rectangle of consecutive fitted lengths and widths: each
    /// parameter's base, L…, W… and P… coefficients interpolate the four corner fits bilinearly in
    /// (1/L, 1/W) (µm⁻¹), so the cards are exact at the fitted geometries and continuous across bin edges.
    /// The shortest and narrowest bins extend down to 1 nm (extrapolation); past the longest length and the widest
    /// width, bins flat in that direction extend to 1 m. `fitlmin`… hold the fitted range for warnings.
    public static func cards(device: String, corner: String, fits: [PDKFit.LengthFit], widths: ClosedRange<Double>) -> [ModelCard] {
        let pmos = device.hasPrefix("p")
        let name = modelName(device: device, corner: corner)
        let fixed = PDKFit.fixedParameters(pmos: pmos)
        var byGeometry: [String: PDKFit.LengthFit] = [:]
        for f in fits { byGeometry["\(f.w)/\(f.l)"] = f }
        let ls = Array(Set(fits.map(\.l))).sorted(), ws = Array(Set(fits.map(\.w))).sorted()
        guard let l0 = ls.first, let l1 = ls.last, let w0 = ws.first, let w1 = ws.last else { return [] }
        func edges(_ v: [Double]) -> [(Double, Double)] { v.count == 1 ? [(v[0], v[0])] : Array(zip(v.dropLast(), v.dropFirst())) }
        // Beyond the longest length and the widest width one more bin holds the edge values (flat in 1/L, 1/W):
        // extrapolating the last rectangle's slopes to W = 300 µm made CLC, ACDE, MOIN and VSAT negative (NaN charges).
        let lEdges = edges(ls) + (ls.count > 1 ? [(l1, l1)] : []), wEdges = edges(ws) + (ws.count > 1 ? [(w1, w1)] : [])
        var cards: [ModelCard] = []
        for (j, (wa, wb)) in wEdges.enumerated() {
            for (i, (la, lb)) in lEdges.enumerated() {
                guard let f00 = byGeometry["\(wa)/\(la)"], let f01 = byGeometry["\(wa)/\(lb)"],
                      let f10 = byGeometry["\(wb)/\(la)"], let f11 = byGeometry["\(wb)/\(lb)"] else { continue }
                var p = fixed
                let xa = 1 / la, xb = 1 / lb, ya = 1 / wa, yb = 1 / wb
                for (key, v00) in f00.parameters {
                    let v01 = f01.parameters[key] ?? v00, v10 = f10.parameters[key] ?? v00, v11 = f11.parameters[key] ?? v00
                    if modelLevel.contains(key) { p[key] = 0.25 * (v00 + v01 + v10 + v11); continue }
                    // v = a + b·x + c·y + d·x·y through the four corners (x = 1/L, y = 1/W).
                    let dx = xa == xb ? 0 : 1 / (xb - xa), dy = ya == yb ? 0 : 1 / (yb - ya)
                    let d = (v11 - v10 - v01 + v00) * dx * dy
                    let b = (v01 - v00) * dx - d * ya
                    let c = (v10 - v00) * dy - d * xa
                    let a = v00 - b * xa - c * ya - d * xa * ya
                    p[key] = a
                    if b != 0 { p["l" + key] = b }
                    if c != 0 { p["w" + key] = c }
                    if d != 0 { p["p" + key] = d }
                }
                p["lmin"] = i == 0 ? 1e-9 : la * 1e-6
                p["lmax"] = i == lEdges.count - 1 ? 1 : lb * 1e-6
                p["wmin"] = j == 0 ? 1e-9 : wa * 1e-6
                p["wmax"] = j == wEdges.count - 1 ? 1 : wb * 1e-6
                p["fitlmin"] = l0 * 1e-6; p["fitlmax"] = l1 * 1e-6
                p["fitwmin"] = min(w0, widths.lowerBound) * 1e-6; p["fitwmax"] = max(w1, widths.upperBound) * 1e-6
                cards.append(ModelCard(name: "\(name).\(cards.count + 1)", type: pmos ? "pmos" : "nmos", parameters: p,
                                       location: SourceLocation(file: "<fit>", line: 1)))
            }
        }
        return cards
    }

    /// A card as `.model` text, parameters in a fixed order, 12 significant digits (the bilinear bin
    /// coefficients cancel, so fewer digits would not reproduce the fitted values at the grid).
    public static func text(_ card: ModelCard) -> String {
        let first = ["level", "version", "mobmod", "capmod", "noimod", "tnom", "lmin", "lmax", "wmin", "wmax",
                     "fitlmin", "fitlmax", "fitwmin", "fitwmax"]
        let rest = card.parameters.keys.filter { !first.contains($0) }.sorted()
        var words: [String] = []
        for key in first + rest {
            guard let v = card.parameters[key] else { continue }
            words.append(key == "version" ? "version=3.3.0" : "\(key)=\(format(v))")
        }
        var lines = [".model \(card.name) \(card.type)"]
        var line = "+"
        for w in words {
            if line.count + w.count > 100 { lines.append(line); line = "+" }
            line += " " + w
        }
        if line != "+" { lines.append(line) }
        return lines.joined(separator: "\n")
    }

    static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(printf: "%.12g", v)
    }

    /// The subcircuit wrapping a device's binned cards with the foundry's pins and instance parameters
    /// (µm under `.option scale=1e-6`; `nf` fingers become `m=nf` devices of width W/nf, as ngspice's
    /// BSIM4 splits W; `mult` only scales mismatch in the foundry library and is accepted and unused).
    public static func subcircuit(device: String, corner: String) -> String {
        let model = modelName(device: device, corner: corner)
        return """
        .subckt sky130_fd_pr__\(device) d g s b l=1 w=1 nf=1 ad=0 as=0 pd=0 ps=0 nrd=0 nrs=0 sa=0 sb=0 sd=0 mult=1
        msky130_fd_pr__\(device) d g s b \(model) l={l} w={w/nf} m={nf}
        + ad={ad/nf} as={as/nf} pd={pd/nf} ps={ps/nf}
        .ends sky130_fd_pr__\(device)
        """
    }

    /// The whole library file: a header, then one `.lib` section per corner with the scale option,
    /// both subcircuits and their cards.
    public static func library(cards: [String: [String: [ModelCard]]], header: [String]) -> String {
        var out = header.map { "* " + $0 }
        for corner in PDKDataset.corners {
            guard let byDevice = cards[corner] else { continue }
            out.append("")
            out.append(".lib \(corner)")
            out.append(".option scale=1e-6")
            for device in PDKDataset.devices {
                guard let list = byDevice[device] else { continue }
                out.append("")
                out.append(subcircuit(device: device, corner: corner))
                for c in list { out.append(text(c)) }
            }
            out.append(".endl \(corner)")
        }
        return out.joined(separator: "\n") + "\n"
    }
}

/// The fitted-range check BSIM-lite elaboration runs for cards that carry `fitlmin fitlmax fitwmin
/// fitwmax` (metres): those keys are removed from the card, and an instance outside the range gets a
/// warning naming it, its W and L and the range (it still simulates, by extrapolation).
public enum PDKRange {
    static let keys = ["fitlmin", "fitlmax", "fitwmin", "fitwmax"]
    static let marker = "is outside the fitted range of model"

    /// Whether an elaboration warning is one of these.
    public static func isRangeWarning(_ line: String) -> Bool { line.contains(marker) }

    static func check(_ card: ModelCard, instance: String, l: Double, w: Double) -> (ModelCard, String?) {
        guard keys.contains(where: { card.parameters[$0] != nil }) else { return (card, nil) }
        var stripped = card
        for k in keys { stripped.parameters[k] = nil }
        let p = card.parameters
        let lmin = p["fitlmin"] ?? 0, lmax = p["fitlmax"] ?? .infinity
        let wmin = p["fitwmin"] ?? 0, wmax = p["fitwmax"] ?? .infinity
        // Relative slack for lengths written through `.option scale` and decimal round trips.
        let eps = 1e-9
        guard l < lmin * (1 - eps) || l > lmax * (1 + eps) || w < wmin * (1 - eps) || w > wmax * (1 + eps) else {
            return (stripped, nil)
        }
        func um(_ v: Double) -> String { String(printf: "%g", v * 1e6) }
        let base = card.name.split(separator: ".").first.map(String.init) ?? card.name
        return (stripped, "warning: MOSFET '\(instance)': W=\(um(w)) µm L=\(um(l)) µm \(marker) '\(base)' "
                    + "(W \(um(wmin))–\(um(wmax)) µm, L \(um(lmin))–\(um(lmax)) µm); the result is extrapolated")
    }
}
