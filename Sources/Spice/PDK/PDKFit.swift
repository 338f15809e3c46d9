#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform

/// Fits BSIM-lite (level 8) cards to the sky130 foundry reference data with Levenberg–Marquardt.
///
/// The method: for each device, corner and grid geometry (W × L), one parameter set is fitted in two
/// stages (DC: log Id, gm/Id and gds; then capacitances: Cgg, Cgd, Cdd with the DC fixed), as one coherent
/// family: each fit is pulled toward its already fitted neighbours in W and L (`fit`). Each rectangle of adjacent grid lengths and widths then becomes one binned
/// card (`NAME.k` with LMIN/LMAX/WMIN/WMAX) whose base, `L…`, `W…` and `P…` coefficients interpolate the
/// four corner fits bilinearly in (1/L, 1/W): exact at the fitted geometries, continuous across bins.
/// Everything is deterministic (fixed order, no threads, no random numbers).
public enum PDKFit {
    /// One fitted parameter: its card name, how the LM variable x maps to it, and whether it is fitted.
    struct Parameter {
        let name: String
        /// value = base + scale·x (linear) or base·exp(scale·x) (log).
        let base: Double
        let scale: Double
        let log: Bool
        var lower: Double? = nil, upper: Double? = nil
        func value(_ x: Double) -> Double { log ? base * Glibc.exp(scale * x) : base + scale * x }
        func variable(_ v: Double) -> Double { log ? Glibc.log(v / base) / scale : (v - base) / scale }
    }

    /// Per-device constants the fit does not change (sky130 oxide thickness, junction grading).
    static func fixedParameters(pmos: Bool) -> [String: Double] {
        var p: [String: Double] = [
            "level": 8, "version": 3.3, "mobmod": 1, "capmod": 3, "noimod": 1, "tnom": 27,
            // Built-in L/W dependences off: each L is fitted on its own and the W… forms carry width.
            "dvt0": 0, "dvt0w": 0, "nlx": 0, "k3": 0, "dsub": 0, "drout": 0,
            "cdsc": 0, "cdscb": 0, "cdscd": 0, "cit": 0, "lint": 0, "wint": 0, "a1": 0, "a2": 1,
            "xpart": 0, "cgso": 0, "cgdo": 0, "cgbo": 0, "ckappa": 0.6, "cle": 0.6,
        ]
        if pmos {
            p["tox"] = 4.23e-9
            p.merge(["mj": 0.34629, "mjsw": 0.29781, "cjswg": 2.39155e-10, "mjswg": 0.9274,
                     "pb": 0.6587, "pbsw": 0.7418, "pbswg": 1.4338, "js": 0, "jsw": 0]) { $1 }
        } else {
            p["tox"] = 4.148e-9
            p.merge(["mj": 0.44, "mjsw": 0.001, "cjswg": 2.382328e-10, "mjswg": 0.8,
                     "pb": 0.729, "pbsw": 0.2, "pbswg": 0.95578, "js": 0, "jsw": 0]) { $1 }
        }
        return p
    }

    /// The DC parameters fitted at each geometry, with their starting values, variable scales and bounds.
    /// The bounds keep every set in a physical range (η0 0…0.5 and ETAB −0.3…0, so η0 + ETAB·Vbs never
    /// reaches BSIM3's clamp under reverse body bias; A0 0.1…5, AGS 0…5; PVAG −1…10, PCLM 0.08…20, U0 within
    /// 10× of the start…): without them independent fits wander along directions the data does not see
    /// (η0 = −270 with ETAB = 18 400, PVAG = 8 000, A0 ≈ 0 with AGS = 508 were seen), which no interpolation
    /// between sets survives.
    static func dcParameters(pmos: Bool) -> [Parameter] {
        let u0 = pmos ? 0.008 : 0.03
        return [
            Parameter(name: "vth0", base: pmos ? 1.0 : 0.5, scale: 0.1, log: false),
            Parameter(name: "k1", base: 0.5, scale: 0.1, log: false, lower: -4, upper: 20),
            Parameter(name: "k2", base: 0, scale: 0.02, log: false, lower: -10, upper: 10),
            Parameter(name: "eta0", base: 0.005, scale: 0.005, log: false, lower: -1, upper: 99),
            // ETAB ≤ 0 and ETA0 ≥ 0 (with the bounds below): unbounded, LM used BSIM3's clamp of ETA0 + ETAB·Vbseff
            // below 1e-4 to decouple the Vbs = 0 and body-bias sweeps, leaving gmbs of 10–2500 S at Vbs = 0 and,
            // through noimod's 4kT·⅔·|gm + gds + gmbs|, up to 400× the channel thermal noise (the "ff noise" anomaly).
            Parameter(name: "etab", base: 0, scale: 0.02, log: false, lower: -15, upper: 0),
            Parameter(name: "voff", base: -0.1, scale: 0.03, log: false, lower: -10, upper: 6.5),
            Parameter(name: "nfactor", base: 1, scale: 0.2, log: false, lower: -3.5, upper: 15),
            Parameter(name: "u0", base: u0, scale: 0.3, log: true, lower: -7.7, upper: 7.7),
            Parameter(name: "ua", base: 1e-9, scale: 1e-9, log: false, lower: -3, upper: 9),
            Parameter(name: "ub", base: 1e-19, scale: 5e-19, log: false, lower: -2.2, upper: 9.8),
            Parameter(name: "uc", base: 0, scale: 5e-11, log: false, lower: -10, upper: 10),
            Parameter(name: "vsat", base: 1e5, scale: 0.3, log: true, lower: -6, upper: 5),
            Parameter(name: "a0", base: 1, scale: 0.3, log: false, lower: -3, upper: 13.3),
            Parameter(name: "ags", base: 0, scale: 0.1, log: false, lower: 0, upper: 50),
            Parameter(name: "keta", base: -0.03, scale: 0.02, log: false, lower: -13.5, upper: 6.5),
            Parameter(name: "rdsw", base: 200, scale: 0.5, log: true, lower: -12, upper: 8),
            Parameter(name: "pclm", base: 1.0, scale: 0.5, log: true, lower: -5, upper: 6),
            Parameter(name: "pdiblc1", base: 0.05, scale: 0.7, log: true, lower: -8, upper: 4),
            Parameter(name: "pdiblc2", base: 0.003, scale: 0.7, log: true, lower: -8, upper: 5),
            Parameter(name: "pvag", base: 0, scale: 0.5, log: false, lower: -2, upper: 20),
            Parameter(name: "delta", base: 0.01, scale: 0.5, log: true, lower: -8, upper: 6),
        ]
    }

    /// Capacitance parameters fitted at each length (DC fixed).
    static func capParameters(pmos: Bool) -> [Parameter] {
        [
            Parameter(name: "cf", base: pmos ? 3e-10 : 3e-10, scale: 0.3, log: true, lower: -15, upper: 8),
            Parameter(name: "cgsl", base: 5e-11, scale: 0.5, log: true, lower: -15, upper: 8),
            Parameter(name: "clc", base: 1e-7, scale: 0.5, log: true, lower: -12, upper: 8),
            Parameter(name: "cj", base: pmos ? 1e-3 : 1e-3, scale: 0.3, log: true, lower: -10, upper: 10),
            Parameter(name: "cjsw", base: 5e-11, scale: 0.3, log: true, lower: -15, upper: 10),
            // The C–V transition (swing NOFF, offset VOFFCV) and capmod=3's charge thickness (ACDE, MOIN):
            // the foundry's BSIM4 C–V rises over a wider Vgs range, and below Cox·W·L in inversion.
            Parameter(name: "noff", base: 1, scale: 0.3, log: true, lower: -4, upper: 5),
            Parameter(name: "voffcv", base: 0, scale: 0.05, log: false, lower: -10, upper: 10),
            Parameter(name: "acde", base: 1, scale: 0.3, log: true, lower: -6, upper: 5),
            Parameter(name: "moin", base: 15, scale: 0.3, log: true, lower: -8, upper: 5),
        ]
    }

    /// Parameters written with the card's polarity sign (ngspice multiplies VTH0 by the type).
    static let signed: Set<String> = ["vth0", "wvth0", "lvth0", "pvth0"]

    /// Options that bound the fit's cost.
    public struct Options: Sendable {
        /// LM iterations per stage and length.
        public var iterations = 40
        /// Keep every n-th point of each 37-point sweep.
        public var stride = 2
        /// Weight of the Tikhonov pull toward each neighbouring geometry's parameters (per scaled DC variable,
        /// against ½·Σ of the data residuals); 0 fits every geometry on its own.
        public var coherence = 0.01
        /// Weight of the gds residual at op-amp bias (saturation, foundry gm/Id 8–20 /V, |Vds| 0.2–1.2 V);
        /// elsewhere gds weighs 0.8.
        public var gdsOpAmpWeight = 1.6
        public init(iterations: Int = 40, stride: Int = 2, coherence: Double = 0.01, gdsOpAmpWeight: Double = 1.6) {
            self.iterations = iterations; self.stride = stride; self.coherence = coherence; self.gdsOpAmpWeight = gdsOpAmpWeight
        }
    }

    /// The fitted parameter set of one device, corner and length (card names, card signs, µm units for
    /// the W… coefficients), with the final LM costs.
    public struct LengthFit: Sendable {
        public var l: Double
        public var w: Double
        public var parameters: [String: Double]
        /// The DC data cost, the DC cost with the pull toward the neighbours, and the capacitance cost.
        public var dcCost: Double, totalCost: Double, capCost: Double
    }

    /// Fits every grid geometry of one device and corner as one coherent family, in two passes.
    ///
    /// 1. Independent: for each width, lengths long to short, each geometry from the defaults and from the
    ///    longer device's result, keeping the better (accurate at the grid, but the degenerate directions of
    ///    each set land anywhere, so the bins' interpolation between two sets can be unphysical).
    /// 2. Coherent: lengths long to short; at each length the reference (middle) width first, then the
    ///    other widths outward. Each geometry restarts from its pass-1 result with a Tikhonov pull (on the
    ///    LM's scaled variables, weight `Options.coherence`) toward its finished neighbours: the inner width
    ///    at the same length and the same width at the longer length. Directions the data cannot see snap
    ///    to the neighbours' values; well-determined ones follow the data. Neighbouring sets then differ
    ///    only where the device does, and the bilinear interpolation between them stays physical.
    public static func fit(_ data: PDKDataset, options: Options = Options(), lengths: [Double]? = nil,
                           log: ((String) -> Void)? = nil) throws -> [LengthFit] {
        let pmos = data.device.hasPrefix("p")
        let all = data.lengths
        let chosen = (lengths ?? all).sorted(by: >)
        let widths = data.widths
        guard !widths.isEmpty else { throw PDKError.badArgument("\(data.device) \(data.corner): no geometries in the data") }
        for l in chosen where !all.contains(l) { throw PDKError.badArgument("length \(l) µm is not in the data (\(all))") }
        func key(_ w: Double, _ l: Double) -> String { "\(w)/\(l)" }
        // Pass 1: independent fits.
        var independent: [String: LengthFit] = [:]
        for w in widths {
            var previous: [String: Double]? = nil
            for l in chosen {
                var fit = try fitGeometry(data, l: l, w: w, pmos: pmos, start: nil, anchors: [], options: options)
                if let previous {
                    let cont = try fitGeometry(data, l: l, w: w, pmos: pmos, start: previous, anchors: [], options: options)
                    if cont.dcCost < fit.dcCost { fit = cont }
                }
                previous = fit.parameters
                independent[key(w, l)] = fit
            }
        }
        guard options.coherence > 0 else {
            return independent.values.sorted { ($0.w, $0.l) < ($1.w, $1.l) }
        }
        // Pass 2: coherent family.
        let ref = widths.count / 2
        let order = [ref] + Array((ref + 1)..<widths.count) + Array((0..<ref).reversed())
        var fits: [LengthFit] = []
        var longer: [Double: [String: Double]] = [:]
        for l in chosen {
            var here: [Double: [String: Double]] = [:]
            for k in order {
                let w = widths[k]
                let start = Date()
                var anchors: [[String: Double]] = []
                if let p = longer[w] { anchors.append(p) }
                if k != ref, let p = here[widths[k > ref ? k - 1 : k + 1]] {
                    anchors.append(p)
                }
                guard let first = independent[key(w, l)] else { continue }
                let fit = anchors.isEmpty ? first
                    : try fitGeometry(data, l: l, w: w, pmos: pmos, start: first.parameters, anchors: anchors, options: options)
                log?(String(printf: "  %@ %@ W=%-5g L=%-5g µm  DC cost %.4g (independent %.4g, pull %.3g)  cap cost %.4g  (%.1f s)",
                            data.device, data.corner, w, l, fit.dcCost, first.dcCost, fit.totalCost - fit.dcCost, fit.capCost,
                            Date().timeIntervalSince(start)))
                here[w] = fit.parameters
                fits.append(fit)
            }
            longer = here
        }
        return fits.sorted { ($0.w, $0.l) < ($1.w, $1.l) }
    }

    /// The model card for a parameter dictionary in card names and card signs.
    static func card(_ name: String, pmos: Bool, _ p: [String: Double]) -> ModelCard {
        ModelCard(name: name, type: pmos ? "pmos" : "nmos", parameters: p, location: SourceLocation(file: "<fit>", line: 1))
    }

    /// The DC points of one length used by the fit, and the per-point residual masks.
    struct DCPoint {
        var w: Double, temp: Double, vgs: Double, vds: Double, vbs: Double  // device polarity
        var id: Double, gm: Double, gds: Double
        var useGm: Bool, useGds: Bool
        var gdsWeight: Double
    }

    static func dcPoints(_ data: PDKDataset, l: Double, w: Double, pmos: Bool, options: Options) -> [DCPoint] {
        let stride = options.stride
        let t = pmos ? -1.0 : 1.0
        var out: [DCPoint] = []
        for (i, p) in data.points.enumerated() where p.l == l && p.w == w && (i % 37) % max(1, stride) == 0 {
            let vds = t * p.vds
            guard vds >= 0.01, p.id > 0 else { continue }
            out.append(DCPoint(w: p.w, temp: p.temp, vgs: t * p.vgs, vds: vds, vbs: t * p.vbs, id: p.id, gm: p.gm,
                               gds: p.gds, useGm: p.id > 1e-10 && p.gm > 0, useGds: vds >= 0.1 && p.gds > 0,
                               gdsWeight: PDKReport.isOpAmpBias(p) ? options.gdsOpAmpWeight : 0.8))
        }
        return out
    }

    /// Residuals of one parameter set against DC points; nil when the card cannot be built.
    static func dcResiduals(_ p: [String: Double], pmos: Bool, l: Double, points: [DCPoint]) -> [Double]? {
        guard let model = try? BSIMLiteModel(card: card("fit", pmos: pmos, p), nominalTemperature: 300.15) else { return nil }
        var sizes: [Double: BSIMLiteSize] = [:]
        var r: [Double] = []
        r.reserveCapacity(points.count * 3)
        let floor = 1e-12
        for q in points {
            let key = q.w * 1000 + q.temp
            let size: BSIMLiteSize
            if let s = sizes[key] { size = s } else {
                guard let s = try? model.sized(l: l * 1e-6, w: q.w * 1e-6, temp: q.temp + Physics.kelvinOffset,
                                                instance: "fit", location: model.location) else { return nil }
                sizes[key] = s; size = s
            }
            let c = model.channel(size, vgs: q.vgs, vds: q.vds, vbs: q.vbs)
            let id = c.ids.v, gm = c.ids.g, gds = c.ids.d
            guard id.isFinite else { return nil }
            r.append(Glibc.log((max(id, 0) + floor) / (q.id + floor)))
            if q.useGm {
                r.append(gm > 0 && id > 0 ? Glibc.log((gm / id) / (q.gm / q.id)) : 3)
            } else { r.append(0) }
            if q.useGds {
                r.append(gds > 0 ? q.gdsWeight * Glibc.log(gds / q.gds) : 3)
            } else { r.append(0) }
        }
        return r
    }

    static func fitGeometry(_ data: PDKDataset, l: Double, w: Double, pmos: Bool, start: [String: Double]?,
                            anchors: [[String: Double]], options: Options) throws -> LengthFit {
        let sign = pmos ? -1.0 : 1.0
        var params = fixedParameters(pmos: pmos)
        let dc = dcParameters(pmos: pmos)
        let caps = capParameters(pmos: pmos)
        for q in dc + caps { params[q.name] = q.base * (signed.contains(q.name) ? sign : 1) }
        if let start { params.merge(start) { $1 } }
        if start == nil {
            // Start the threshold at the foundry's reported Vth of the widest device.
            if let p = data.points.first(where: { $0.l == l && $0.w == w && abs($0.vds) < 0.06 && $0.vbs == 0 && $0.vth > 0 }) {
                params["vth0"] = sign * p.vth
            }
        }

        // Stage 1: DC.
        let points = dcPoints(data, l: l, w: w, pmos: pmos, options: options)
        func apply(_ x: [Double], _ set: [Parameter], to p: inout [String: Double]) {
            for (q, v) in zip(set, x) { p[q.name] = q.value(v) * (signed.contains(q.name) ? sign : 1) }
        }
        func variables(_ set: [Parameter], _ p: [String: Double]) -> [Double] {
            set.map { q in
                let v = p[q.name]! * (signed.contains(q.name) ? sign : 1)
                if q.log && v <= 0 { return 0 }
                return q.variable(v)
            }
        }
        let lmDC = LevenbergMarquardt(maxIterations: options.iterations, relativeTolerance: 1e-7,
                                      lower: dc.map { $0.lower ?? -1e9 }, upper: dc.map { $0.upper ?? 1e9 })
        let base = params
        // The pull toward each anchor (a neighbour's parameters), Options.coherence per scaled variable.
        let pull = options.coherence.squareRoot()
        let targets = anchors.map { variables(dc, $0) }
        let resultDC = lmDC.minimize(start: variables(dc, params)) { x in
            var p = base
            apply(x, dc, to: &p)
            guard var r = dcResiduals(p, pmos: pmos, l: l, points: points) else { return nil }
            for target in targets {
                for (v, t) in zip(x, target) { r.append(pull * (v - t)) }
            }
            return r
        }
        apply(resultDC.parameters, dc, to: &params)
        let dataCost = 0.5 * (dcResiduals(params, pmos: pmos, l: l, points: points) ?? []).reduce(0) { $0 + $1 * $1 }

        // Stage 2: capacitances at 25 °C, Vbs = 0.
        let acPoints = data.ac.filter { $0.l == l && $0.w == w }
        let fixedDC = params
        let lmCap = LevenbergMarquardt(maxIterations: max(10, options.iterations / 2), relativeTolerance: 1e-7,
                                       lower: caps.map { $0.lower ?? -1e9 }, upper: caps.map { $0.upper ?? 1e9 })
        let resultCap = lmCap.minimize(start: variables(caps, params)) { x in
            var p = fixedDC
            apply(x, caps, to: &p)
            return try? capResiduals(p, pmos: pmos, l: l, points: acPoints)
        }
        apply(resultCap.parameters, caps, to: &params)
        var out: [String: Double] = [:]
        for q in dc + caps { out[q.name] = params[q.name] }
        return LengthFit(l: l, w: w, parameters: out, dcCost: dataCost, totalCost: resultDC.cost, capCost: resultCap.cost)
    }

    /// Terminal capacitance residuals (log ratios of Cgg, Cgd, Cdd) over the AC points of one length.
    static func capResiduals(_ p: [String: Double], pmos: Bool, l: Double, points: [PDKACPoint]) throws -> [Double] {
        let t = pmos ? -1.0 : 1.0
        let c = card("fit", pmos: pmos, p)
        var evaluators: [Double: BSIMLiteEvaluator] = [:]
        var r: [Double] = []
        for q in points {
            let e: BSIMLiteEvaluator
            if let x = evaluators[q.w] { e = x } else {
                e = try BSIMLiteEvaluator(cards: [c], model: "fit",
                                          instance: geometry(w: q.w, l: l), temperature: q.temp, nominalTemperature: 27)
                evaluators[q.w] = e
            }
            let y = e.evaluate(vgs: q.vgs, vds: q.vds, vbs: q.vbs)
            _ = t
            r.append(ratio(y.cgg, q.cgg))
            r.append(0.5 * ratio(y.cgd, q.cgd))
            r.append(0.5 * ratio(y.cdd, q.cdd))
        }
        return r
    }

    private static func ratio(_ a: Double, _ b: Double) -> Double {
        guard a * b > 0 else { return 2 }
        return Glibc.log(a / b)
    }

    /// The dataset's instance geometry in metres (`ad = W·0.29`, `pd = 2(W + 0.29)` µm).
    static func geometry(w: Double, l: Double) -> MOSInstance {
        MOSInstance(w: w * 1e-6, l: l * 1e-6, ad: w * 0.29e-12, as: w * 0.29e-12, pd: 2 * (w + 0.29) * 1e-6,
                    ps: 2 * (w + 0.29) * 1e-6)
    }
}
