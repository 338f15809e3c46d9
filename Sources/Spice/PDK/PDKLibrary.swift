import Foundation

/// Turns per-length fits into L-binned level-8 cards and the foundry-compatible library file
/// (`.lib … tt|ff|ss|fs|sf`, subcircuits `sky130_fd_pr__nfet_01v8`/`pfet_01v8` with pins d g s b).
public enum PDKLibrary {
    /// Model-level (non-binnable) parameters of BSIM-lite among the fitted ones: one value per bin.
    static let modelLevel: Set<String> = ["cj", "cjsw"]

    /// The card name of a device in a corner, e.g. `nfet_01v8_tt`.
    public static func modelName(device: String, corner: String) -> String { "\(device)_\(corner)" }

    /// Binned cards `NAME.1 … NAME.k` between consecutive fitted lengths: base, L…, W… and P… coefficients
    /// interpolate the two fitted sets linearly in 1/L (µm⁻¹). The first bin extends down to LMIN = 1 nm and
    /// the last up to LMAX = 1 m (extrapolation; `fitlmin`… hold the fitted range for warnings).
    public static func cards(device: String, corner: String, fits: [PDKFit.LengthFit], widths: ClosedRange<Double>) -> [ModelCard] {
        let pmos = device.hasPrefix("p")
        let name = modelName(device: device, corner: corner)
        let fixed = PDKFit.fixedParameters(pmos: pmos)
        let sorted = fits.sorted { $0.l < $1.l }
        guard let first = sorted.first, let last = sorted.last else { return [] }
        var cards: [ModelCard] = []
        // A single length gives a single unbinned-range card.
        let pairs = sorted.count == 1 ? [(first, first)] : Array(zip(sorted.dropLast(), sorted.dropFirst()))
        for (k, (a, b)) in pairs.enumerated() {
            var p = fixed
            let xa = 1 / a.l, xb = 1 / b.l
            for (key, va) in a.parameters {
                let vb = b.parameters[key] ?? va
                if modelLevel.contains(key) { p[key] = 0.5 * (va + vb); continue }
                let slope = xa == xb ? 0 : (va - vb) / (xa - xb)
                let intercept = va - slope * xa
                if key.hasPrefix("w"), PDKFit.dcParameters(pmos: pmos).contains(where: { $0.name == key }) {
                    let baseName = String(key.dropFirst())
                    p["w" + baseName] = intercept
                    if slope != 0 { p["p" + baseName] = slope }
                } else {
                    p[key] = intercept
                    if slope != 0 { p["l" + key] = slope }
                }
            }
            p["lmin"] = k == 0 ? 1e-9 : a.l * 1e-6
            p["lmax"] = k == pairs.count - 1 ? 1 : b.l * 1e-6
            p["wmin"] = 0
            p["wmax"] = 1
            p["fitlmin"] = first.l * 1e-6; p["fitlmax"] = last.l * 1e-6
            p["fitwmin"] = widths.lowerBound * 1e-6; p["fitwmax"] = widths.upperBound * 1e-6
            cards.append(ModelCard(name: "\(name).\(k + 1)", type: pmos ? "pmos" : "nmos", parameters: p,
                                   location: SourceLocation(file: "<fit>", line: 1)))
        }
        return cards
    }

    /// A card as `.model` text, parameters in a fixed order, 8 significant digits.
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
        return String(format: "%.8g", v)
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
        func um(_ v: Double) -> String { String(format: "%g", v * 1e6) }
        let base = card.name.split(separator: ".").first.map(String.init) ?? card.name
        return (stripped, "warning: MOSFET '\(instance)': W=\(um(w)) µm L=\(um(l)) µm \(marker) '\(base)' "
                    + "(W \(um(wmin))–\(um(wmax)) µm, L \(um(lmin))–\(um(lmax)) µm); the result is extrapolated")
    }
}
