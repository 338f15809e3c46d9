#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shichman–Hodges (level 1) MOSFET model parameters with ngspice's defaults and its derivation of
/// missing process parameters (KP from U0 and TOX, PHI and GAMMA and VTO from NSUB).
struct MOS1Model {
    let name: String
    /// +1 for NMOS, −1 for PMOS.
    let type: Double
    var vto = 0.0, kp = 2e-5, gamma = 0.0, phi = 0.6, lambda = 0.0
    var rd = 0.0, rs = 0.0, rsh = 0.0, cbd = 0.0, cbs = 0.0, js = 0.0, isat = 1e-14, pb = 0.8
    var cgso = 0.0, cgdo = 0.0, cgbo = 0.0, cj = 0.0, mj = 0.5, cjsw = 0.0, mjsw = 0.5, fc = 0.5
    var ld = 0.0, oxideCapFactor = 0.0, tnom: Double
    /// Flicker noise KF and AF.
    var kf = 0.0, af = 1.0
    var rdGiven = false, rsGiven = false, rshGiven = false, cbdGiven = false, cbsGiven = false
    var cjGiven = false, cjswGiven = false
    let location: SourceLocation

    init(card: ModelCard, circuit: Circuit) throws {
        name = card.name
        location = card.location
        type = card.type.lowercased() == "pmos" ? -1 : 1
        let p = card.parameters
        func value(_ keys: String...) -> Double? { keys.lazy.compactMap { p[$0] }.first }
        tnom = value("tnom").map { $0 + Physics.kelvinOffset } ?? circuit.nominalTemperature
        if let v = value("vto", "vt0") { vto = v }
        if let v = value("gamma") { gamma = v }
        if let v = value("phi") { phi = v }
        if let v = value("lambda") { lambda = v }
        if let v = value("rd") { rd = v; rdGiven = true }
        if let v = value("rs") { rs = v; rsGiven = true }
        if let v = value("rsh") { rsh = v; rshGiven = true }
        if let v = value("cbd") { cbd = v; cbdGiven = true }
        if let v = value("cbs") { cbs = v; cbsGiven = true }
        if let v = value("is") { isat = v }
        if let v = value("js") { js = v }
        if let v = value("pb") { pb = v }
        if let v = value("cgso") { cgso = v }
        if let v = value("cgdo") { cgdo = v }
        if let v = value("cgbo") { cgbo = v }
        if let v = value("cj") { cj = v; cjGiven = true }
        if let v = value("mj") { mj = v }
        if let v = value("cjsw") { cjsw = v; cjswGiven = true }
        if let v = value("mjsw") { mjsw = v }
        if let v = value("fc") { fc = v }
        if let v = value("ld") { ld = v }
        if let v = value("kf") { kf = v }
        if let v = value("af") { af = v }
        let kpGiven = value("kp")
        if let kpGiven { kp = kpGiven }
        // Process parameters (ngspice's mos1temp model preprocessing).
        if let tox = value("tox"), tox != 0 {
            oxideCapFactor = Physics.epsilonOxide / tox
            if kpGiven == nil { kp = (value("u0", "uo") ?? 600) * oxideCapFactor * 1e-4 }
            if let nsub = value("nsub") {
                guard nsub * 1e6 > 1.45e16 else {
                    throw SimulationError(.badValue, "MOS model '\(card.name)': NSUB \(nsub) is below the intrinsic density",
                                          subject: card.name, location: card.location)
                }
                let vtnom = Physics.kOverQ * tnom
                let egfet1 = Silicon.gap(tnom)
                if value("phi") == nil { phi = max(0.1, 2 * vtnom * log(nsub * 1e6 / 1.45e16)) }
                let fermis = type * 0.5 * phi
                var wkfng = 3.2
                let tpg = value("tpg") ?? 1
                if tpg != 0 { wkfng = 3.25 + 0.5 * egfet1 - type * tpg * 0.5 * egfet1 }
                let wkfngs = wkfng - (3.25 + 0.5 * egfet1 + fermis)
                if value("gamma") == nil {
                    gamma = (2 * 11.70 * 8.854214871e-12 * Physics.charge * nsub * 1e6).squareRoot() / oxideCapFactor
                }
                if value("vto", "vt0") == nil {
                    let nss = value("nss") ?? 0
                    let vfb = wkfngs - nss * 1e4 * Physics.charge / oxideCapFactor
                    vto = vfb + type * (gamma * phi.squareRoot() + phi)
                }
            }
        }
        guard phi > 0, pb > 0, fc < 1, mj < 1, mjsw < 1 else {
            throw SimulationError(.badValue, "MOS model '\(card.name)': needs PHI > 0, PB > 0, FC < 1, MJ < 1, MJSW < 1",
                                  subject: card.name, location: card.location)
        }
    }
}
