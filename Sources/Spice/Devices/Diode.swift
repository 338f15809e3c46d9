#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SPICE diode model parameters with ngspice's defaults.
struct DiodeModel {
    var saturationCurrent = 1e-14, emission = 1.0, resistance = 0.0
    var junctionCapacitance = 0.0, junctionPotential = 1.0, grading = 0.5, depletionCoefficient = 0.5
    var transitTime = 0.0, breakdownVoltage: Double?, breakdownCurrent = 1e-3, breakdownEmission: Double?
    var activationEnergy = 1.11, saturationExponent = 3.0
    var nominalTemperature: Double?
    /// Flicker noise KF and AF.
    var flickerCoefficient = 0.0, flickerExponent = 1.0
    let name: String

    init(card: ModelCard) throws {
        name = card.name
        let p = card.parameters
        func value(_ keys: String...) -> Double? { keys.lazy.compactMap { p[$0] }.first }
        saturationCurrent = value("is", "js") ?? saturationCurrent
        emission = value("n") ?? emission
        resistance = value("rs") ?? resistance
        junctionCapacitance = value("cjo", "cj0", "cj") ?? junctionCapacitance
        junctionPotential = value("vj", "pb") ?? junctionPotential
        grading = value("m", "mj") ?? grading
        depletionCoefficient = value("fc") ?? depletionCoefficient
        transitTime = value("tt") ?? transitTime
        breakdownVoltage = value("bv")
        breakdownCurrent = value("ibv") ?? breakdownCurrent
        breakdownEmission = value("nbv")
        activationEnergy = value("eg") ?? activationEnergy
        saturationExponent = value("xti") ?? saturationExponent
        nominalTemperature = value("tnom").map { $0 + Physics.kelvinOffset }
        flickerCoefficient = value("kf") ?? flickerCoefficient
        flickerExponent = value("af") ?? flickerExponent
        for (key, v) in [("is", saturationCurrent), ("n", emission), ("vj", junctionPotential)] where !(v > 0) {
            throw SimulationError(.badValue, "diode model '\(card.name)': \(key) must be positive, got \(v)",
                                  subject: card.name, location: card.location)
        }
        if resistance < 0 || !(depletionCoefficient < 1) || !(grading < 1) {
            throw SimulationError(.badValue, "diode model '\(card.name)': needs rs ≥ 0, fc < 1 and m < 1",
                                  subject: card.name, location: card.location)
        }
    }
}

/// The SPICE junction diode as ngspice computes it: exponential forward and reverse regions with
/// breakdown, series resistance (an internal node), gmin in parallel, depletion and diffusion charge.
final class Diode: Device {
    let name: String
    let location: SourceLocation
    let anode: Unknown, cathode: Unknown
    /// The junction's anode side: the anode itself, or an internal node behind the series resistance.
    let junction: Unknown
    let model: DiodeModel
    let off: Bool
    // Temperature-adjusted values.
    let vt: Double, vte: Double, vtebrk: Double, saturationCurrent: Double, vcrit: Double
    let breakdownVoltage: Double?, seriesConductance: Double
    let jctCap: Double, jctPot: Double, grading: Double, depCap: Double, f1: Double, f2: Double, f3: Double
    let transitTime: Double
    // State of the last load (ngspice's state0).
    private(set) var vd = 0.0, cd = 0.0, gd = 0.0
    private var series: PairSlots!, junctionSlots: PairSlots!
    /// Transient state: the junction charge (depletion plus diffusion) and its current.
    private var state = 0

    init(name: String, anode: Unknown, cathode: Unknown, model: DiodeModel, area: Double, off: Bool,
         circuit: Circuit, location: SourceLocation) throws {
        guard area > 0, area.isFinite else {
            throw SimulationError(.badValue, "diode '\(name)': area must be positive, got \(area)", subject: name, location: location)
        }
        self.name = name; self.anode = anode; self.cathode = cathode; self.model = model; self.off = off
        self.location = location
        junction = model.resistance != 0 ? circuit.newUnknown("\(name)#internal", branch: false) : anode
        seriesConductance = model.resistance != 0 ? area / model.resistance : 0

        let t = circuit.temperature
        let tnom = model.nominalTemperature ?? circuit.nominalTemperature
        vt = Physics.kOverQ * t
        vte = model.emission * vt
        vtebrk = (model.breakdownEmission ?? model.emission) * vt
        // Saturation current with the band-gap and XTI temperature terms.
        let arg1 = (t / tnom - 1) * model.activationEnergy / vte
        let arg2 = model.saturationExponent / model.emission * log(t / tnom)
        saturationCurrent = model.saturationCurrent * area * exp(arg1 + arg2)
        // Junction potential and capacitance versus temperature.
        let fact1 = tnom / Silicon.referenceTemperature, fact2 = t / Silicon.referenceTemperature
        let pbfact1 = Silicon.potentialFactor(tnom), pbfact = Silicon.potentialFactor(t)
        grading = model.grading
        let pbo = (model.junctionPotential - pbfact1) / fact1
        let gmaold = (model.junctionPotential - pbo) / pbo
        var cap = model.junctionCapacitance * area / (1 + grading * (400e-6 * (tnom - Silicon.referenceTemperature) - gmaold))
        var pot = pbfact + fact2 * pbo
        let gmanew = (pot - pbo) / pbo
        cap *= 1 + grading * (400e-6 * (t - Silicon.referenceTemperature) - gmanew)
        let xfc = log(1 - model.depletionCoefficient)
        var dep = model.depletionCoefficient * pot
        if dep > 1 { pot = 1 / model.depletionCoefficient; dep = model.depletionCoefficient * pot }
        jctCap = cap; jctPot = pot; depCap = dep
        f1 = pot * (1 - exp((1 - grading) * xfc)) / (1 - grading)
        f2 = exp((1 + grading) * xfc)
        f3 = 1 - model.depletionCoefficient * (1 + grading)
        vcrit = vte * log(vte / (2.0.squareRoot() * saturationCurrent))
        transitTime = model.transitTime
        // Breakdown: match the reverse exponential to IBV at BV (ngspice's iteration).
        if let bv = model.breakdownVoltage {
            var cbv = model.breakdownCurrent
            var xbv = bv
            let nbv = model.breakdownEmission ?? model.emission
            if cbv < saturationCurrent * bv / vt {
                cbv = saturationCurrent * bv / vt
                xbv = bv
            } else {
                let tol = circuit.options.reltol * cbv
                xbv = bv - nbv * vt * log(1 + cbv / saturationCurrent)
                for _ in 0..<25 {
                    xbv = bv - nbv * vt * log(cbv / saturationCurrent + 1 - xbv / vt)
                    let xcbv = saturationCurrent * (exp((bv - xbv) / (nbv * vt)) - 1 + xbv / vt)
                    if abs(xcbv - cbv) <= tol { break }
                }
            }
            breakdownVoltage = xbv
        } else {
            breakdownVoltage = nil
        }
    }

    func bind(_ binder: SlotBinder) {
        series = binder.pair(anode, junction)
        junctionSlots = binder.pair(junction, cathode)
        state = binder.charges(1)
    }

    /// Junction current and conductance at `vd` (gmin in parallel), as ngspice's diode evaluates them.
    @inline(__always)
    func current(_ vd: Double, gmin: Double) -> (cd: Double, gd: Double) {
        var cd: Double, gd: Double
        if vd >= -3 * vte {
            let evd = exp(vd / vte)
            cd = saturationCurrent * (evd - 1); gd = saturationCurrent * evd / vte
        } else if breakdownVoltage == nil || vd >= -breakdownVoltage! {
            var arg = 3 * vte / (vd * M_E)
            arg = arg * arg * arg
            cd = -saturationCurrent * (1 + arg); gd = saturationCurrent * 3 * arg / vd
        } else {
            let evrev = exp(-(breakdownVoltage! + vd) / vtebrk)
            cd = -saturationCurrent * evrev; gd = saturationCurrent * evrev / vtebrk
        }
        return (cd + gmin * vd, gd + gmin)
    }

    func load(_ context: inout LoadContext) {
        var v: Double
        switch context.mode {
        case .initJunction:
            v = off ? 0 : vcrit
            context.limited = true
        case .smallSignal:
            v = context.voltage(junction, cathode)
        case .float:
            v = context.voltage(junction, cathode)
            var limited = false
            if let bv = breakdownVoltage, v < min(0, -bv + 10 * vtebrk) {
                let vtemp = Limiting.junction(-(v + bv), old: -(vd + bv), vt: vtebrk, vcrit: vcrit, limited: &limited)
                v = -(vtemp + bv)
            } else {
                v = Limiting.junction(v, old: vd, vt: vte, vcrit: vcrit, limited: &limited)
            }
            if limited { context.limited = true }
        }
        var (c, g) = current(v, gmin: context.gmin)
        if let t = context.transient {
            // The junction charge joins the companion model: its current and ag0·C add to the diode's.
            t.present[state] = charge(v)
            if t.integrating {
                c += t.integrate(state)
                g += t.ag0 * capacitance(v, gmin: 0)
            }
        }
        vd = v; cd = c; gd = g
        if seriesConductance != 0 { context.conductance(seriesConductance, between: series) }
        context.conductance(g, between: junctionSlots)
        context.current(c - g * v, from: junction, to: cathode)
    }

    func converged(_ context: LoadContext) -> Bool {
        let v = context.voltage(junction, cathode)
        let cdhat = cd + gd * (v - vd)
        return abs(cdhat - cd) <= context.reltol * max(abs(cdhat), abs(cd)) + context.abstol
    }

    /// Depletion plus diffusion capacitance at `v` (the derivative of the junction charge).
    func capacitance(_ v: Double, gmin: Double) -> Double {
        let depletion: Double
        if v < depCap {
            let arg = 1 - v / jctPot
            depletion = jctCap * exp(-grading * log(arg))
        } else {
            depletion = jctCap / f2 * (f3 + grading * v / jctPot)
        }
        let g = current(v, gmin: 0).gd
        return depletion + transitTime * g
    }

    /// Junction charge at `v` (depletion plus diffusion), for transient integration.
    func charge(_ v: Double) -> Double {
        let depletion: Double
        if v < depCap {
            let arg = 1 - v / jctPot
            depletion = jctPot * jctCap * (1 - arg * exp(-grading * log(arg))) / (1 - grading)
        } else {
            let czof2 = jctCap / f2
            depletion = jctCap * f1 + czof2 * (f3 * (v - depCap) + grading / (2 * jctPot) * (v * v - depCap * depCap))
        }
        return depletion + transitTime * current(v, gmin: 0).cd
    }

    func loadReactive(_ context: ReactiveContext) {
        context.capacitance(capacitance(vd, gmin: 0), between: junctionSlots)
    }

    func parameter(_ name: String) -> Double? {
        switch name {
        case "id", "i": cd
        case "gd": gd
        case "vd": vd
        case "cd", "c", "cap": capacitance(vd, gmin: 0)
        case "charge", "q": charge(vd)
        default: nil
        }
    }
}
