#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A BSIM3v3.3 (`level=8`/`level=49`) model card reduced to the analog-relevant subset that BSIM-lite
/// implements, with the BSIM3v3.3 manual's defaults (as ngspice 39's `b3set` applies them).
///
/// Every binnable parameter keeps its base value and its `L…`, `W…` and `P…` coefficients; `sized(…)`
/// (in `BSIMLite+Temperature.swift`) combines them for one instance geometry and temperature. Parameters
/// outside the subset are collected in `ignored` so elaboration can warn once per card.
struct BSIMLiteModel {
    let name: String
    let location: SourceLocation
    /// +1 for NMOS, −1 for PMOS.
    let type: Double
    /// Base values of the binnable parameters (ngspice's internal names: `npeak` for NCH, `pdibl1` for PDIBLC1).
    private(set) var base: [String: Double] = [:]
    /// L-, W- and P-prefixed coefficients of the binnable parameters.
    private(set) var lengthCoefficient: [String: Double] = [:]
    private(set) var widthCoefficient: [String: Double] = [:]
    private(set) var productCoefficient: [String: Double] = [:]
    /// Base names given on the card (ngspice's `…Given` flags).
    private(set) var given: Set<String> = []
    /// Card parameters this model does not implement, sorted.
    private(set) var ignored: [String] = []

    // Non-binnable model parameters.
    var tox = 150e-10, toxm = 150e-10
    var tnom: Double
    var lint = 0.0, wint = 0.0, dlc = 0.0, dwc = 0.0
    var cgso = 0.0, cgdo = 0.0, cgbo = 0.0, xpart = 0.0
    var js = 1e-4, jsw = 0.0, nj = 1.0, xti = 3.0, ijth = 0.1
    var cj = 5e-4, mj = 0.5, cjsw = 5e-10, mjsw = 0.33, cjswg = 5e-10, mjswg = 0.33
    var pb = 1.0, pbsw = 1.0, pbswg = 1.0
    var rsh = 0.0
    var kf = 0.0, af = 1.0, ef = 1.0
    /// Noise model: 1 (SPICE2 thermal and flicker) or 3 (SPICE2 thermal, BSIM3 unified flicker with the
    /// oxide-trap densities NOIA, NOIB, NOIC and the saturation-field parameter EM).
    var noimod = 1
    var noia = 0.0, noib = 0.0, noic = 0.0, em = 4.1e7
    var lmin = 0.0, lmax = 1.0, wmin = 0.0, wmax = 1.0
    /// The charge model: 2 (smooth, charge-conserving) or 3 (2 plus the charge-thickness model).
    var capmod = 3
    var cox: Double { BSIMConstant.epsOx / tox }

    /// Binnable parameters and their defaults (manual / ngspice `b3set`), by ngspice's internal name.
    static func binnableDefaults(type: Double) -> [String: Double] {
        [
            "cdsc": 2.4e-4, "cdscb": 0, "cdscd": 0, "cit": 0, "nfactor": 1, "xj": 0.15e-6, "vsat": 8e4,
            "at": 3.3e4, "a0": 1, "ags": 0, "a1": 0, "a2": 1, "keta": -0.047, "nsub": 6e16, "npeak": 1.7e17,
            "gamma1": 0, "gamma2": 0, "vbx": 0, "vbm": -3, "xt": 1.55e-7, "k1": 0.53, "kt1": -0.11,
            "kt1l": 0, "k2": -0.0186, "kt2": 0.022, "k3": 80, "k3b": 0, "w0": 2.5e-6, "nlx": 1.74e-7,
            "dvt0": 2.2, "dvt1": 0.53, "dvt2": -0.032, "dvt0w": 0, "dvt1w": 5.3e6, "dvt2w": -0.032,
            "drout": 0.56, "dsub": 0.56, "vth0": 0.7 * type, "ua": 2.25e-9, "ua1": 4.31e-9, "ub": 5.87e-19,
            "ub1": -7.61e-18, "uc": -0.0465e-9, "uc1": -0.056e-9, "u0": type > 0 ? 0.067 : 0.025,
            "ute": -1.5, "voff": -0.08, "delta": 0.01, "rdsw": 0, "prwg": 0, "prwb": 0, "prt": 0,
            "eta0": 0.08, "etab": -0.07, "pclm": 1.3, "pdibl1": 0.39, "pdibl2": 0.0086, "pdiblb": 0,
            "pscbe1": 4.24e8, "pscbe2": 1e-5, "pvag": 0, "wr": 1, "b0": 0, "b1": 0,
            "cgsl": 0, "cgdl": 0, "ckappa": 0.6, "cf": 0, "clc": 0.1e-6, "cle": 0.6, "vfb": -1,
            // C–V: the charge model's own Vgsteff (NOFF, VOFFCV) and capmod=3's charge thickness (ACDE, MOIN).
            "noff": 1, "voffcv": 0, "acde": 1, "moin": 15,
        ]
    }

    /// Card spellings that differ from the internal names.
    static let aliases: [String: String] = [
        "nch": "npeak", "pdiblc1": "pdibl1", "pdiblc2": "pdibl2", "pdiblcb": "pdiblb", "vtho": "vth0",
        "uo": "u0",
    ]

    /// Non-binnable names the card may carry (handled by the initializer).
    static let modelNames: Set<String> = [
        "level", "version", "mobmod", "capmod", "noimod", "binunit", "tox", "toxm", "tnom", "lint", "wint",
        "dlc", "dwc", "cgso", "cgdo", "cgbo", "xpart", "js", "jsw", "nj", "xti", "ijth", "cj", "mj", "cjsw",
        "mjsw", "cjswg", "mjswg", "pb", "pbsw", "pbswg", "rsh", "kf", "af", "ef", "lmin", "lmax", "wmin",
        "wmax", "paramchk", "noia", "noib", "noic", "em",
    ]

    init(card: ModelCard, nominalTemperature: Double) throws {
        name = card.name
        location = card.location
        type = card.type.lowercased() == "pmos" ? -1 : 1
        let p = card.parameters
        func fail(_ message: String) -> SimulationError {
            SimulationError(.badModel, "BSIM model '\(card.name)': \(message)", subject: card.name, location: card.location)
        }
        guard card.level == 8 || card.level == 49 else { throw fail("level \(card.level) is not a BSIM3 level (8 or 49)") }
        if let v = p["version"], ![3.3, 3.30].contains(v) {
            throw fail("version \(v) is not supported (only 3.3 / 3.3.0)")
        }
        // ngspice's v3.3 defaults: mobmod 1, capmod 3, noimod 1; capmod 2 and 3 are implemented.
        let mobmod = p["mobmod"] ?? 1, capmod = p["capmod"] ?? 3, noimod = p["noimod"] ?? 1
        guard mobmod == 1 else { throw fail("mobmod=\(Self.format(mobmod)) is not supported (only mobmod=1)") }
        guard capmod == 2 || capmod == 3 else {
            throw fail("capmod=\(Self.format(capmod)) is not supported (only capmod=2 or 3)")
        }
        self.capmod = Int(capmod)
        guard noimod == 1 || noimod == 3 else {
            throw fail("noimod=\(Self.format(noimod)) is not supported (only noimod=1 or 3)")
        }
        self.noimod = Int(noimod)
        if let b = p["binunit"], b != 1 { throw fail("binunit=\(Self.format(b)) is not supported (only 1, lengths in µm)") }

        tnom = p["tnom"].map { $0 + Physics.kelvinOffset } ?? nominalTemperature
        if let v = p["tox"] { tox = v }
        guard tox > 0 else { throw fail("TOX must be positive, got \(tox)") }
        toxm = p["toxm"] ?? tox
        guard toxm > 0 else { throw fail("TOXM must be positive, got \(toxm)") }
        if let v = p["lint"] { lint = v }
        if let v = p["wint"] { wint = v }
        dlc = p["dlc"] ?? lint
        dwc = p["dwc"] ?? wint
        if let v = p["js"] { js = v }
        if let v = p["jsw"] { jsw = v }
        if let v = p["nj"] { nj = v }
        if let v = p["xti"] { xti = v }
        if let v = p["ijth"] { ijth = v }
        if let v = p["cj"] { cj = v }
        if let v = p["mj"] { mj = v }
        if let v = p["cjsw"] { cjsw = v }
        if let v = p["mjsw"] { mjsw = v }
        cjswg = p["cjswg"] ?? cjsw
        mjswg = p["mjswg"] ?? mjsw
        if let v = p["pb"] { pb = v }
        if let v = p["pbsw"] { pbsw = v }
        pbswg = p["pbswg"] ?? pbsw
        // ngspice clamps junction potentials below 0.1 V (with a message on stderr).
        pb = max(pb, 0.1); pbsw = max(pbsw, 0.1); pbswg = max(pbswg, 0.1)
        if let v = p["rsh"] { rsh = v }
        if let v = p["kf"] { kf = v }
        if let v = p["af"] { af = v }
        if let v = p["ef"] { ef = v }
        // b3set's oxide-trap defaults (NMOS, PMOS).
        noia = p["noia"] ?? (type > 0 ? 1e20 : 9.9e18)
        noib = p["noib"] ?? (type > 0 ? 5e4 : 2.4e3)
        noic = p["noic"] ?? (type > 0 ? -1.4e-12 : 1.4e-12)
        if let v = p["em"] { em = v }
        if let v = p["xpart"] { xpart = v }
        if let v = p["lmin"] { lmin = v }
        if let v = p["lmax"] { lmax = v }
        if let v = p["wmin"] { wmin = v }
        if let v = p["wmax"] { wmax = v }
        guard nj > 0 else { throw fail("NJ must be positive, got \(nj)") }
        guard mj < 1, mjsw < 1, mjswg < 1 else { throw fail("MJ, MJSW and MJSWG must be below 1") }

        // Binnable parameters and their L/W/P coefficients.
        base = Self.binnableDefaults(type: type)
        var unknown: [String] = []
        for (key, value) in p {
            if Self.modelNames.contains(key) { continue }
            let canonical = Self.aliases[key] ?? key
            if base[canonical] != nil {
                base[canonical] = value; given.insert(canonical); continue
            }
            if let first = key.first, "lwp".contains(first) {
                let rest = String(key.dropFirst())
                let restName = Self.aliases[rest] ?? rest
                if base[restName] != nil {
                    switch first {
                    case "l": lengthCoefficient[restName] = value
                    case "w": widthCoefficient[restName] = value
                    default: productCoefficient[restName] = value
                    }
                    continue
                }
            }
            unknown.append(key)
        }
        ignored = unknown.sorted()
        // Defaults that depend on other parameters (b3set).
        if !given.contains("dsub") { base["dsub"] = base["drout"] }
        if base["npeak"]! > 1e20 { base["npeak"]! *= 1e-6 }
        if base["nsub"]! > 1e20 { base["nsub"]! *= 1e-6 }
        if !given.contains("cf") {
            base["cf"] = 2 * BSIMConstant.epsOx / Double.pi * log(1 + 0.4e-6 / tox)
        }
        let cox = BSIMConstant.epsOx / tox
        let xj = base["xj"]!
        if let v = p["cgdo"] { cgdo = v }
        else { cgdo = (p["dlc"] != nil && dlc > 0) ? max(0, dlc * cox - base["cgdl"]!) : 0.6 * xj * cox }
        if let v = p["cgso"] { cgso = v }
        else { cgso = (p["dlc"] != nil && dlc > 0) ? max(0, dlc * cox - base["cgsl"]!) : 0.6 * xj * cox }
        cgbo = p["cgbo"] ?? 2 * dwc * cox
    }

    /// The value of a binnable parameter for the given inverse lengths (ngspice's Inv_L, Inv_W, Inv_LW).
    func binned(_ key: String, _ invL: Double, _ invW: Double, _ invLW: Double) -> Double {
        base[key]! + (lengthCoefficient[key] ?? 0) * invL + (widthCoefficient[key] ?? 0) * invW
            + (productCoefficient[key] ?? 0) * invLW
    }

    private static func format(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }
}

/// The physical constants ngspice's BSIM3 code uses (its own, slightly different from `Physics`).
enum BSIMConstant {
    static let epsOx = 3.453133e-11
    static let epsSi = 1.03594e-10
    static let charge = 1.60219e-19
    static let kOverQ = 8.617087e-5
    static let maxExp = 5.834617425e14
    static let minExp = 1.713908431e-15
    static let expThreshold = 34.0
    /// kT/q at ngspice's reference temperature (CONSTvt0) and the junction-limiting critical voltage.
    static let vt0 = Physics.boltzmann * 300.15 / Physics.charge
    static let vcrit = vt0 * log(vt0 / (2.0.squareRoot() * 1e-14))
}
