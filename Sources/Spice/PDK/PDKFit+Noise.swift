#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform

/// One row of `<device>-<corner>-noise.f32`: the foundry's short-circuit drain-current noise at one bias
/// (µm, V, A, S; densities in A/√Hz, one-sided; PMOS voltages signed as applied, currents as magnitudes).
public struct PDKNoisePoint: Sendable {
    public var temp: Double, w: Double, l: Double, vgs: Double, vds: Double, vbs: Double
    public var id: Double, gm: Double, gds: Double, gmbs: Double
    /// Channel thermal noise, and the parasitic resistors' noise (Rd, Rs, the body network) together.
    public var thermal: Double, parasitic: Double
    /// Flicker and total drain noise at `PDKNoiseDataset.frequencies`.
    public var flicker: [Double], total: [Double]
}

/// The committed drain-noise reference of one device in one corner (`scripts/pdk/extract-noise.py`).
public struct PDKNoiseDataset: Sendable {
    public var device: String
    public var corner: String
    public var points: [PDKNoisePoint]
    /// The frequencies of the flicker and total columns (Hz).
    public static let frequencies = [10.0, 100.0, 1e3, 1e4, 1e5, 1e6]
    static let columns = 24

    /// Reads `<folder>/<device>-<corner>-noise.f32`.
    public static func load(folder: String, device: String, corner: String) throws -> PDKNoiseDataset {
        let path = folder + "/\(device)-\(corner)-noise.f32"
        let rows = try PDKDataset.readFloats(path, columns: columns)
        let nf = frequencies.count
        let points = rows.map { r in
            PDKNoisePoint(temp: r[0], w: PDKDataset.grid(r[1]), l: PDKDataset.grid(r[2]), vgs: r[3], vds: r[4], vbs: r[5],
                          id: r[6], gm: r[7], gds: r[8], gmbs: r[9], thermal: r[10], parasitic: r[11],
                          flicker: Array(r[12..<(12 + nf)]), total: Array(r[(12 + nf)..<(12 + 2 * nf)]))
        }
        return PDKNoiseDataset(device: device, corner: corner, points: points)
    }

    /// The flicker exponent EF of the data: the median slope of the flicker power between 100 Hz and 10 kHz,
    /// rounded to 1e-3 (the foundry's is one constant per device).
    public var flickerExponent: Double {
        var slopes: [Double] = []
        for p in points where p.flicker[1] > 0 && p.flicker[3] > 0 {
            slopes.append(-2 * log10(p.flicker[3] / p.flicker[1]) / 2)
        }
        guard !slopes.isEmpty else { return 1 }
        slopes.sort()
        return (slopes[slopes.count / 2] * 1000).rounded() / 1000
    }
}

/// The noise part of `miller pdk fit`: BSIM3's unified flicker model (noimod=3: NOIA, NOIB, NOIC with
/// EM = 4.1e7 V/m and EF from the data) fitted to the foundry's drain-current flicker noise at 1 kHz.
///
/// NOIA…NOIC are model-level (not binnable) in BSIM3, so each bin card gets its own, fitted to the data of
/// the grid geometries at its four corners. The fit depends on the DC card only through the unified model's
/// internal quantities (Vgsteff, Vdseff, Abulk, µeff): every data point is evaluated at the gate voltage at
/// which the card carries the foundry's drain current (not at the foundry's Vgs), so an Id error of the
/// DC fit does not turn into a noise error at the same bias current, which is what a circuit fixes.
/// The model is linear in (NOIA, NOIB, NOIC) for the strong-inversion part, so a weighted linear least-squares
/// solution starts Levenberg–Marquardt on log residuals, with NOIA > 0 and NOIB, NOIC ≥ 0 so that the flicker
/// density stays positive at every bias. Deterministic.
public enum PDKNoiseFit {
    /// The fitting frequency (the op-amp acceptance's 1 kHz).
    public static let frequency = 1e3
    /// EM, BSIM3's and the foundry's value (V/m).
    public static let em = 4.1e7
    /// Points with less drain current are left out (A).
    public static let minimumCurrent = 1e-10
    static let temperature = 27 + Physics.kelvinOffset

    /// Noise data of a run, by corner then device.
    public typealias Datasets = [String: [String: PDKNoiseDataset]]

    /// Loads the noise data of the chosen corners and devices.
    public static func load(folder: String, corners: [String], devices: [String]) throws -> Datasets {
        var out: Datasets = [:]
        for c in corners {
            for d in devices { out[c, default: [:]][d] = try PDKNoiseDataset.load(folder: folder, device: d, corner: c) }
        }
        return out
    }

    /// One data point evaluated on a card at the foundry's drain current.
    struct Evaluated {
        var point: PDKNoisePoint
        var terms: BSIMUnifiedFlicker
        /// The card's channel thermal noise (A²/Hz), noimod=1/3's 4kT·(2/3)·|gm + gds + gmbs|.
        var thermal: Double
        /// The foundry's flicker and total density at `frequency` (A²/Hz).
        var flicker: Double, total: Double
        /// The point's weight in the fit: moderate inversion (the foundry's gm/Id 5–22 /V, where op-amps bias
        /// and where the harmonic weak/strong combination errs most) counts 6× (circuit-level noise error 9.6 % → 6.9 % median
        /// against 3×).
        var weight: Double {
            let gmOverId = point.gm / point.id
            return gmOverId >= 5 && gmOverId < 22 ? 6 : 1
        }
    }

    /// The card's gate voltage (magnitude) at which |Id| equals `id`, at the point's Vds and Vbs: bisection on
    /// log|Id| over 0…2 V (Id rises monotonically with |Vgs|); nil when the card cannot reach it.
    static func matchedGate(_ e: BSIMLiteEvaluator, id: Double, vds: Double, vbs: Double) -> Double? {
        let s = e.polarity
        func logId(_ v: Double) -> Double { log(max(abs(e.current(vgs: s * v, vds: vds, vbs: vbs).id), 1e-30)) }
        var lo = 0.0, hi = 2.0
        let target = log(id)
        guard logId(hi) >= target, logId(lo) <= target else { return nil }
        for _ in 0..<48 {
            let mid = 0.5 * (lo + hi)
            if logId(mid) < target { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// The points of `data` at geometry `w` × `l` (µm) evaluated on `cards`/`model` at the foundry's current.
    static func evaluate(cards: [ModelCard], model: String, data: PDKNoiseDataset, w: Double, l: Double) throws -> [Evaluated] {
        let e = try BSIMLiteEvaluator(cards: cards, model: model, instance: PDKFit.geometry(w: w, l: l), temperature: 27,
                                      nominalTemperature: 27)
        let k = PDKNoiseDataset.frequencies.firstIndex(of: frequency)!
        var out: [Evaluated] = []
        for p in data.points where p.w == w && p.l == l && p.id > minimumCurrent && p.flicker[k] > 0 {
            guard let v = matchedGate(e, id: p.id, vds: p.vds, vbs: p.vbs) else { continue }
            let c = e.current(vgs: e.polarity * v, vds: p.vds, vbs: p.vbs)
            let terms = e.unifiedFlicker(frequency: frequency, temperature: temperature)
            let thermal = NoiseDensity.thermal(2.0 / 3.0 * abs(c.gm + c.gds + c.gmbs), temperature: temperature)
            out.append(Evaluated(point: p, terms: terms, thermal: thermal, flicker: p.flicker[k] * p.flicker[k],
                                 total: p.total[k] * p.total[k]))
        }
        return out
    }

    /// Fits (NOIA, NOIB, NOIC) to evaluated points; returns them with the final cost.
    ///
    /// `guards` are the model's parts at the corners of the bias range (`guardTerms`): a parameter set with a
    /// negative strong-inversion density at any of them is rejected. (NOIB and NOIC may be negative, and
    /// must be for a good fit; unguarded, a negative NOIC fitted on the data's points turned Ssi, and the
    /// simulators' flicker density, negative in deep triode: NaN noise. NOIB, NOIC ≥ 0 doubled the error.)
    static func fit(_ points: [Evaluated], guards: [BSIMUnifiedFlicker] = []) -> (noia: Double, noib: Double, noic: Double, cost: Double) {
        guard !points.isEmpty else { return (1e20, 0, 0, .nan) }
        // Weighted linear least squares on the strong-inversion part (relative residuals): a start.
        var ata = [[Double]](repeating: [0, 0, 0], count: 3), atb = [0.0, 0, 0]
        var scales = [[Double]](repeating: [], count: 3)
        for p in points {
            let row = [p.terms.sa, p.terms.sb, p.terms.sc].map { $0 / p.flicker }
            for i in 0..<3 {
                for j in 0..<3 { ata[i][j] += p.weight * p.weight * row[i] * row[j] }
                atb[i] += p.weight * p.weight * row[i]
                if row[i] != 0 { scales[i].append(1 / abs(row[i])) }
            }
        }
        // Natural scale of each parameter: the value at which its term alone explains a typical point.
        let scale = scales.map { s -> Double in s.isEmpty ? 1 : s.sorted()[s.count / 2] }
        let linear = solve3(ata, atb) ?? [scale[0], 0, 0]
        func residuals(_ x: [Double]) -> [Double]? {
            let a = x[0] * scale[0], b = x[1] * scale[1], c = x[2] * scale[2]
            for g in guards where a * g.sa + b * g.sb + c * g.sc <= 0 { return nil }
            var r: [Double] = []
            r.reserveCapacity(points.count)
            for p in points {
                let d = p.terms.density(noia: a, noib: b, noic: c)
                guard d > 0, d.isFinite else { return nil }
                r.append(p.weight * log(d / p.flicker))
            }
            return r
        }
        let lm = LevenbergMarquardt(maxIterations: 60, relativeTolerance: 1e-9, step: 1e-6, lower: [1e-6, -1e9, -1e9], upper: nil)
        var best: LevenbergMarquardt.Result? = nil
        for start in [[max(linear[0], 1e-3 * scale[0]) / scale[0], linear[1] / scale[1], linear[2] / scale[2]], [1, 0, 0]] {
            let r = lm.minimize(start: start, residuals: residuals)
            if r.cost.isFinite, best == nil || r.cost < best!.cost { best = r }
        }
        guard let best else { return (scale[0], 0, 0, .nan) }
        return (best.parameters[0] * scale[0], best.parameters[1] * scale[1], best.parameters[2] * scale[2], best.cost)
    }

    private static func solve3(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var m = a, v = b
        for c in 0..<3 {
            guard let p = (c..<3).max(by: { abs(m[$0][c]) < abs(m[$1][c]) }), abs(m[p][c]) > 0 else { return nil }
            m.swapAt(c, p); v.swapAt(c, p)
            for r in 0..<3 where r != c {
                let f = m[r][c] / m[c][c]
                for k in 0..<3 { m[r][k] -= f * m[c][k] }
                v[r] -= f * v[c]
            }
        }
        let x = (0..<3).map { v[$0] / m[$0][$0] }
        return x.allSatisfy(\.isFinite) ? x : nil
    }

    /// The unified model's parts of `cards`/`model` at geometry `w` × `l` (µm) on a grid over the whole bias
    /// range (|Vgs| 0.2…2 V, |Vds| 0.01…1.8 V, Vbs 0 and 0.4 V reverse), for the positivity guard of `fit`.
    static func guardTerms(cards: [ModelCard], model: String, w: Double, l: Double) throws -> [BSIMUnifiedFlicker] {
        let e = try BSIMLiteEvaluator(cards: cards, model: model, instance: PDKFit.geometry(w: w, l: l), temperature: 27,
                                      nominalTemperature: 27)
        let s = e.polarity
        var out: [BSIMUnifiedFlicker] = []
        for vgs in stride(from: 0.2, through: 2.0, by: 0.2) {
            for vds in [0.01, 0.05, 0.1, 0.3, 0.9, 1.8] {
                for vbs in [0.0, -0.4] {
                    _ = e.current(vgs: s * vgs, vds: s * vds, vbs: s * vbs)
                    out.append(e.unifiedFlicker(frequency: frequency, temperature: temperature))
                }
            }
        }
        return out
    }

    /// The bin cards with noimod=3 and their fitted NOIA, NOIB, NOIC (EM, EF from the data) added: each
    /// bin fitted to the data of the grid geometries it covers. A bin whose fit fails keeps noimod=1 and
    /// is named in `problems`.
    public static func addNoise(to cards: [ModelCard], data: PDKNoiseDataset) -> (cards: [ModelCard], problems: [String]) {
        let ef = data.flickerExponent
        let geometries = Set(data.points.map { "\($0.w)/\($0.l)" }).map { g -> (Double, Double) in
            let p = g.split(separator: "/").map { Double($0)! }
            return (p[0], p[1])
        }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        var out: [ModelCard] = [], problems: [String] = []
        for card in cards {
            let p = card.parameters, e = 1e-9
            let inside = geometries.filter { (w, l) in
                l * 1e-6 >= (p["lmin"] ?? 0) * (1 - e) && l * 1e-6 <= (p["lmax"] ?? 1) * (1 + e)
                    && w * 1e-6 >= (p["wmin"] ?? 0) * (1 - e) && w * 1e-6 <= (p["wmax"] ?? 1) * (1 + e)
            }
            var noisy = card
            noisy.parameters["noimod"] = 3
            noisy.parameters["ef"] = ef
            noisy.parameters["em"] = em
            var points: [Evaluated] = [], guards: [BSIMUnifiedFlicker] = []
            do {
                for (w, l) in inside {
                    points += try evaluate(cards: [noisy], model: card.name, data: data, w: w, l: l)
                    guards += try guardTerms(cards: [noisy], model: card.name, w: w, l: l)
                }
            } catch {
                problems.append("\(card.name): \(error)")
                out.append(card)
                continue
            }
            let f = fit(points, guards: guards)
            guard f.cost.isFinite else {
                problems.append("\(card.name): the noise fit found no valid parameters (\(points.count) points)")
                out.append(card)
                continue
            }
            noisy.parameters["noia"] = f.noia
            noisy.parameters["noib"] = f.noib
            noisy.parameters["noic"] = f.noic
            out.append(noisy)
        }
        return (out, problems)
    }

    /// Error statistics of a library's cards against the noise data of one device and corner.
    public struct Errors: Sendable {
        public var device: String, corner: String
        /// |ours/foundry − 1| of the flicker and the total drain-noise density (A/√Hz) at 1 kHz, over all points
        /// and over the op-amp region (|Vds| = 0.9 V, 0.5 ≤ L ≤ 8 µm, 1.5 ≤ W ≤ 100 µm, Id ≥ 10 nA); and the
        /// card's channel thermal noise over the foundry's (saturation, Id ≥ 10 nA), as a ratio of densities
        /// in A/√Hz (median and 95th percentile of the ratio itself, not of an error).
        public var flicker: PDKReport.Stat, total: PDKReport.Stat
        public var flickerOpamp: PDKReport.Stat, totalOpamp: PDKReport.Stat
        public var thermalRatio: PDKReport.Stat
    }

    /// Evaluates the cards of one corner (a library's `.lib` section) on every noise point.
    public static func errors(cards: [ModelCard], data: PDKNoiseDataset) throws -> Errors {
        let model = PDKLibrary.modelName(device: data.device, corner: data.corner)
        let geometries = Set(data.points.map { "\($0.w)/\($0.l)" }).sorted()
        var fl: [Double] = [], tot: [Double] = [], flO: [Double] = [], totO: [Double] = [], th: [Double] = []
        for g in geometries {
            let wl = g.split(separator: "/").map { Double($0)! }
            // Each point's model values come from the card the simulator binds for this geometry.
            let e = try BSIMLiteEvaluator(cards: cards, model: model, instance: PDKFit.geometry(w: wl[0], l: wl[1]),
                                          temperature: 27, nominalTemperature: 27)
            let noia = e.noiseParameters
            for p in try evaluate(cards: cards, model: model, data: data, w: wl[0], l: wl[1]) {
                let flicker = p.terms.density(noia: noia.noia, noib: noia.noib, noic: noia.noic) * (noia.unified ? 1 : 0)
                let ef = (flicker / p.flicker).squareRoot() - 1
                let et = ((flicker + p.thermal) / p.total).squareRoot() - 1
                fl.append(abs(ef)); tot.append(abs(et))
                let opamp = abs(abs(p.point.vds) - 0.9) < 1e-3 && p.point.l >= 0.5 && p.point.w >= 1.5 && p.point.id >= 1e-8
                if opamp { flO.append(abs(ef)); totO.append(abs(et)) }
                if abs(abs(p.point.vds) - 0.9) < 1e-3 && p.point.id >= 1e-8 && p.point.thermal > 0 {
                    th.append((p.thermal).squareRoot() / p.point.thermal)
                }
            }
        }
        return Errors(device: data.device, corner: data.corner, flicker: PDKReport.Stat(fl), total: PDKReport.Stat(tot),
                      flickerOpamp: PDKReport.Stat(flO), totalOpamp: PDKReport.Stat(totO), thermalRatio: PDKReport.Stat(th))
    }

    /// The fit report's noise section (markdown lines).
    public static func report(library: String, data folder: String, corners: [String], devices: [String]) throws -> [String] {
        var md = ["", "## Drain-current noise at 1 kHz (noimod=3 against the foundry's BSIM4 fnoimod=1/tnoimod=1)", "",
                  "Each point evaluated on the card at the gate voltage that gives the foundry's drain current. |ours/foundry − 1|",
                  "of the density in A/√Hz, median / p95, in %; op-amp region: |Vds| = 0.9 V, L 0.5–8 µm, W 1.5–100 µm, Id ≥ 10 nA.",
                  "Thermal: our channel thermal noise (4kT·⅔·|gm+gds+gmbs|) over the foundry's, ratio median / p95 (saturation).",
                  "", "| corner | device | flicker all | total all | flicker op-amp | total op-amp | thermal ratio |",
                  "|---|---|---|---|---|---|---|"]
        func r(_ s: PDKReport.Stat) -> String { String(printf: "%.2f / %.2f", s.median, s.p95) }
        for corner in corners {
            let cards = try PDKReport.cards(library: library, corner: corner)
            for device in devices {
                let e = try errors(cards: cards, data: PDKNoiseDataset.load(folder: folder, device: device, corner: corner))
                md.append("| \(corner) | \(device) | \(PDKReport.pct(e.flicker.median)) / \(PDKReport.pct(e.flicker.p95)) | "
                          + "\(PDKReport.pct(e.total.median)) / \(PDKReport.pct(e.total.p95)) | "
                          + "\(PDKReport.pct(e.flickerOpamp.median)) / \(PDKReport.pct(e.flickerOpamp.p95)) | "
                          + "\(PDKReport.pct(e.totalOpamp.median)) / \(PDKReport.pct(e.totalOpamp.p95)) | \(r(e.thermalRatio)) |")
            }
        }
        return md
    }
}

extension BSIMLiteEvaluator {
    /// The unified flicker model's parts at the last evaluated bias (per unit M).
    func unifiedFlicker(frequency: Double, temperature: Double) -> BSIMUnifiedFlicker {
        device.unifiedFlicker(frequency: frequency, temperature: temperature)
    }

    /// The bound card's flicker-noise model: whether it is noimod=3, and its NOIA, NOIB, NOIC.
    var noiseParameters: (unified: Bool, noia: Double, noib: Double, noic: Double) {
        (device.model.noimod == 3, device.model.noia, device.model.noib, device.model.noic)
    }
}
