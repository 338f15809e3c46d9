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
/// stages (DC: log Id, gm/Id and gds; then capacitances: Cgg, Cgd, Cdd with the DC fixed). For each width,
/// lengths go long to short; each fit starts from the defaults and from the previous length's result,
/// and the better is kept. Each rectangle of adjacent grid lengths and widths then becomes one binned
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

    /// The DC parameters fitted at each length, with their starting values and variable scales.
    static func dcParameters(pmos: Bool) -> [Parameter] {
        let u0 = pmos ? 0.008 : 0.03
        return [
            Parameter(name: "vth0", base: pmos ? 1.0 : 0.5, scale: 0.1, log: false),
            Parameter(name: "k1", base: 0.5, scale: 0.1, log: false, lower: -4, upper: 20),
            Parameter(name: "k2", base: 0, scale: 0.02, log: false),
            Parameter(name: "eta0", base: 0.005, scale: 0.005, log: false),
            // Bounded (±0.5 /V): unbounded, LM used BSIM3's clamp of ETA0 + ETAB·Vbseff below 1e-4 to decouple the
            // Vbs = 0 and body-bias sweeps (|ETAB| up to 5e4 /V), leaving gmbs of 10–2500 S at Vbs = 0 and, through
            // noimod's 4kT·⅔·|gm + gds + gmbs|, up to 400× the channel thermal noise (the "ff noise" anomaly).
            Parameter(name: "etab", base: 0, scale: 0.02, log: false, lower: -25, upper: 25),
            Parameter(name: "voff", base: -0.1, scale: 0.03, log: false),
            Parameter(name: "nfactor", base: 1, scale: 0.2, log: false),
            Parameter(name: "u0", base: u0, scale: 0.3, log: true),
            Parameter(name: "ua", base: 1e-9, scale: 1e-9, log: false),
            Parameter(name: "ub", base: 1e-19, scale: 5e-19, log: false),
            Parameter(name: "uc", base: 0, scale: 5e-11, log: false),
            Parameter(name: "vsat", base: 1e5, scale: 0.3, log: true, lower: -10, upper: 8),
            Parameter(name: "a0", base: 1, scale: 0.3, log: false),
            Parameter(name: "ags", base: 0, scale: 0.1, log: false),
            Parameter(name: "keta", base: -0.03, scale: 0.02, log: false),
            Parameter(name: "rdsw", base: 200, scale: 0.5, log: true, lower: -12, upper: 8),
            Parameter(name: "pclm", base: 1.0, scale: 0.5, log: true, lower: -12, upper: 8),
            Parameter(name: "pdiblc1", base: 0.05, scale: 0.7, log: true, lower: -12, upper: 6),
            Parameter(name: "pdiblc2", base: 0.003, scale: 0.7, log: true, lower: -12, upper: 6),
            Parameter(name: "pvag", base: 0, scale: 0.5, log: false),
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
        public init(iterations: Int = 40, stride: Int = 2) { self.iterations = iterations; self.stride = stride }
    }

    /// The fitted parameter set of one device, corner and length (card names, card signs, µm units for
    /// the W… coefficients), with the final LM costs.
    public struct LengthFit: Sendable {
        public var l: Double
        public var w: Double
        public var parameters: [String: Double]
        public var dcCost: Double, capCost: Double
    }

    /// Fits every grid geometry of one device and corner: for each width, lengths long to short, each
    /// from the previous length's result and from the defaults, keeping the better.
    public static func fit(_ data: PDKDataset, options: Options = Options(), lengths: [Double]? = nil,
                           log: ((String) -> Void)? = nil) throws -> [LengthFit] {
        let pmos = data.device.hasPrefix("p")
        let all = data.lengths
        let chosen = (lengths ?? all).sorted(by: >)
        var fits: [LengthFit] = []
        for w in data.widths {
            var previous: [String: Double]? = nil
            for l in chosen {
                guard all.contains(l) else { throw PDKError.badArgument("length \(l) µm is not in the data (\(all))") }
                let start = Date()
                var fit = try fitGeometry(data, l: l, w: w, pmos: pmos, start: nil, options: options)
                // Continuation from the longer device can find a better basin (or a worse one): keep the better.
                if let previous {
                    let cont = try fitGeometry(data, l: l, w: w, pmos: pmos, start: previous, options: options)
                    if cont.dcCost < fit.dcCost { fit = cont }
                }
                log?(String(printf: "  %@ %@ W=%-5g L=%-5g µm  DC cost %.4g  cap cost %.4g  (%.1f s)", data.device, data.corner,
                            w, l, fit.dcCost, fit.capCost, Date().timeIntervalSince(start)))
                previous = fit.parameters
                fits.append(fit)
            }
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
    }

    static func dcPoints(_ data: PDKDataset, l: Double, w: Double, pmos: Bool, stride: Int) -> [DCPoint] {
        let t = pmos ? -1.0 : 1.0
        var out: [DCPoint] = []
        for (i, p) in data.points.enumerated() where p.l == l && p.w == w && (i % 37) % max(1, stride) == 0 {
            let vds = t * p.vds
            guard vds >= 0.01, p.id > 0 else { continue }
            out.append(DCPoint(w: p.w, temp: p.temp, vgs: t * p.vgs, vds: vds, vbs: t * p.vbs, id: p.id, gm: p.gm,
                               gds: p.gds, useGm: p.id > 1e-10 && p.gm > 0, useGds: vds >= 0.1 && p.gds > 0))
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
                r.append(gds > 0 ? 0.8 * Glibc.log(gds / q.gds) : 3)
            } else { r.append(0) }
        }
        return r
    }

    static func fitGeometry(_ data: PDKDataset, l: Double, w: Double, pmos: Bool, start: [String: Double]?,
                            options: Options) throws -> LengthFit {
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
        let points = dcPoints(data, l: l, w: w, pmos: pmos, stride: options.stride)
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
        let resultDC = lmDC.minimize(start: variables(dc, params)) { x in
            var p = base
            apply(x, dc, to: &p)
            return dcResiduals(p, pmos: pmos, l: l, points: points)
        }
        apply(resultDC.parameters, dc, to: &params)

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
        return LengthFit(l: l, w: w, parameters: out, dcCost: resultDC.cost, capCost: resultCap.cost)
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
