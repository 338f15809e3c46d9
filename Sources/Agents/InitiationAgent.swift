import Foundation

/// Why the initiation agent could not turn a sizing script into a design.
public enum InitiationError: Error, CustomStringConvertible, Sendable, Equatable {
    case script(SizingScriptError)
    case missing(name: String)
    case outOfRange(name: String, value: Double, allowed: String)

    public var description: String {
        switch self {
        case .script(let e): return "sizing script: \(e)"
        case .missing(let n): return "sizing script does not assign '\(n)'"
        case .outOfRange(let n, let v, let a): return "sizing script gives \(n) = \(v); allowed: \(a)"
        }
    }
}

/// The initiation agent: sizing equations in the sandboxed `SizingScript` language, evaluated against
/// constants from the spec (and the process), checked, and turned into a stage-I design.
public enum InitiationAgent {
    /// Names a script must assign: W and L per device role (µm), Cc (pF), Rz (kΩ), Ibias (µA).
    public static let outputs = ["w1", "l1", "w3", "l3", "w5", "l5", "w6", "l6", "w7", "l7", "w11", "l11", "cc", "rz", "ibias"]

    /// The expert's equations for both structures: Cc from CL, the tail current from the slew spec, the
    /// other currents and widths at a proven set of current densities, M6 at M4's L with its width
    /// matched to M4's current density so the open-loop output sits at mid-rail in every corner.
    public static func expertScript(_ topology: Topology) -> String {
        // Structure I: every finger on a geometry the cards were fitted at (W 20 / L 2 input pair, W 1.5 /
        // L 0.5 mirror and M6, W 1.5 / L 1 current mirrors): the corners then agree with each other
        // and with the foundry models. A moderate-inversion input pair, M6 at high current density
        // (little gate capacitance on the first-stage node), a second stage at three times the tail,
        // and Rz well above 1/gm6 so its left-half-plane zero lifts the crossover and the phase.
        let base = topology == .structure1
            ? "w1r = 20; l1 = 2; w3r = 1.5; l3 = 0.5; w5r = 6; l5 = 1; l7 = 1; ccr = 0.2; nf7 = 12; rzr = 20; rzs = 1; iref = 10; srm = 1.25"
            : "w1r = 30; l1 = 1; w3r = 4; l3 = 1; w5r = 16; l5 = 1; l7 = 1; ccr = 0.22; nf7 = 16; rzr = 16.3; rzs = 0; iref = 9.4; srm = 1.15"
        return """
            # reference sizing at the tail current iref (uA), scaled with the tail the slew spec asks for
            \(base)
            cc = ccr * cl_pf                  # pF: second pole well above GBW at this ratio
            i5 = srm * sr_min * cc            # uA: rising SR ~ I5/Cc, with margin
            k = i5 / iref
            ibias = i5 / 4                    # the bias diode runs at a quarter of the tail: less wasted current
            l11 = l5
            w1 = w1r * k
            w3 = w3r * k
            w11 = w5r * k / 4
            rz = rzr / k ^ rzs                # kOhm: well above 1/gm6, which falls as the current rises
            # mirrors built from equal fingers: the cards' per-finger width dependence then cancels
            nf5 = 4
            w5 = nf5 * w11
            w7 = nf7 * w11
            l6 = l3                           # same L as the mirror: equal Vgs, no systematic offset
            # M6 in M4-sized fingers at the mirror ratio 2*I7/I5, one finger up: M6 sees less Vds
            # than M4 and M7 more than M5 (channel-length modulation)
            nf6 = 2 * nf7 / nf5 + 1
            w6 = nf6 * w3
            """
    }

    /// Constants a script may read: spec figures (with neutral defaults for unconstrained metrics) and
    /// any process constants given.
    public static func constants(_ spec: SizingSpec, process: [String: Double] = [:]) -> [String: Double] {
        var c: [String: Double] = [
            "vdd": spec.vdd, "vcm": spec.vcm, "cl_pf": spec.clPF,
            "sr_min": spec.constraints[.srVPerUs]?.min ?? 10,
            "gbw_min": spec.constraints[.gbwMHz]?.min ?? 10,
            "pm_min": spec.constraints[.pmDeg]?.min ?? 60,
            "gain_min": spec.constraints[.gainDB]?.min ?? 60,
            "idc_max": spec.constraints[.idcUA]?.max ?? 1000,
            "pi": Double.pi,
        ]
        for (k, v) in process { c[k] = v }
        return c
    }

    /// Runs `script` and builds the stage-I design; every output checked positive and within limits.
    public static func design(script: String, spec: SizingSpec, process: [String: Double] = [:]) throws(InitiationError) -> Design {
        let values: [String: Double]
        do { values = try SizingScript.evaluate(script, constants: constants(spec, process: process)) } catch { throw .script(error) }
        func get(_ n: String, _ range: Interval) throws(InitiationError) -> Double {
            guard let v = values[n] else { throw .missing(name: n) }
            guard v > 0, range.contains(v) else { throw .outOfRange(name: n, value: v, allowed: "\(range.min) to \(range.max)") }
            return v
        }
        let lim = spec.limits
        let wRange = Interval(lim.wUM.min, lim.wUM.max * lim.fingers.max)
        var d = Design.initial(spec.topology, bias: .ideal)
        for (names, roles) in [(["M1", "M2"], "1"), (["M3", "M4"], "3"), (["M5"], "5"), (["M11"], "11"), (["M6"], "6"), (["M7"], "7")] {
            let w = try get("w" + roles, wRange), l = try get("l" + roles, lim.lUM)
            for n in names {
                var s = d.devices[n]!
                s.w = (w * 100).rounded() / 100; s.l = (l * 100).rounded() / 100
                // Wide devices split into fingers so each stays within the per-finger limit.
                s.nf = max(1, Int((s.w / lim.wUM.max).rounded(.up)))
                // A script may give the finger count (equal fingers make mirror ratios exact).
                if let nf = values["nf" + roles], nf.isFinite, nf >= 1 {
                    s.nf = Int(lim.fingers.clamp(max(Double(s.nf), nf.rounded())))
                }
                d.devices[n] = s
            }
        }
        d.ccPF = try get("cc", lim.ccPF)
        d.rzKOhm = try get("rz", lim.rzKOhm)
        d.ibiasUA = try get("ibias", lim.ibiasUA)
        return d
    }
}

extension Design {
    /// This design with the real bias reference in place of the ideal source: the amplifier's devices
    /// kept, the reference (M8..M13, R2) from the template, and R2 set for `targetUA` from the
    /// weak-inversion beta-multiplier law I = n·Vt·ln(K)/R2 (K = the M13/M12 ratio).
    public func withSelfBias(targetUA: Double, limits: SizingLimits) -> Design {
        var d = Design.initial(topology, bias: .selfBiased)
        for (name, size) in devices where d.devices[name] != nil { d.devices[name] = size }
        d.ccPF = ccPF; d.rzKOhm = rzKOhm; d.ibiasUA = ibiasUA
        // The reference's own two branches run at a quarter of the bias diode's current (M10 four M8
        // fingers wide): they are pure overhead in Idc, and the FoM pays for every µA.
        var ratio = 1.0
        if topology == .structure1, devices["M10"] == nil, var m10 = d.devices["M10"], let m8 = d.devices["M8"], m10.l == m8.l {
            m10.w = 4 * m8.w
            m10.nf = 4 * m8.nf
            d.devices["M10"] = m10
            ratio = 4
        }
        let k = (d.devices["M13"]!.w / d.devices["M13"]!.l) / (d.devices["M12"]!.w / d.devices["M12"]!.l)
        d.r2KOhm = limits.r2KOhm.clamp(1.4 * 0.02585 * log(k) / (targetUA / ratio * 1e-6) / 1e3)
        return d
    }
}
