#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A level-1 MOSFET (Shichman–Hodges) as ngspice's mos1 computes it: body effect, channel-length
/// modulation, bulk junction diodes with gmin, drain/source series resistances, Meyer gate charge,
/// overlap and bulk junction capacitances. Voltages are handled in the device's own polarity
/// (multiplied by `type`), as ngspice does.
final class MOS1: Device {
    let name: String
    let location: SourceLocation
    let model: MOS1Model
    let type: Double
    let drain: Unknown, gate: Unknown, source: Unknown, bulk: Unknown
    /// Drain and source behind their series resistances (the terminals themselves when there are none).
    let drainPrime: Unknown, sourcePrime: Unknown
    // Instance and temperature-adjusted values.
    let w: Double, l: Double, m: Double, effectiveLength: Double
    let beta: Double, oxideCap: Double, gsOverlap: Double, gdOverlap: Double, gbOverlap: Double
    let drainConductance: Double, sourceConductance: Double
    let drainSatCurrent: Double, sourceSatCurrent: Double, drainVcrit: Double, sourceVcrit: Double
    let tPhi: Double, tVbi: Double, tVto: Double, tBulkPot: Double, tDepCap: Double
    let czbd: Double, czbdsw: Double, czbs: Double, czbssw: Double
    let f2d: Double, f3d: Double, f4d: Double, f2s: Double, f3s: Double, f4s: Double
    let vt: Double
    let off: Bool
    // State of the last load (ngspice's state0 and instance values).
    private(set) var vbs = 0.0, vgs = 0.0, vds = 0.0, vbd = 0.0
    private(set) var von = 0.0, vdsat = 0.0, mode = 1.0
    private(set) var cdrain = 0.0, cd = 0.0, cbs = 0.0, cbd = 0.0
    private(set) var gm = 0.0, gds = 0.0, gmbs = 0.0, gbd = 0.0, gbs = 0.0
    var s: MOSFETSlots!
    /// Transient state: Meyer charges (gs, gd, gb), bulk junction charges (bd, bs), and this point's
    /// Meyer halves and voltages (the next point averages with them).
    var chargeState = 0, bulkState = 0, historyState = 0


    init(name: String, nodes: [Unknown], model: MOS1Model, instance: MOSInstance, circuit: Circuit,
         location: SourceLocation) throws {
        self.name = name; self.location = location; self.model = model; type = model.type
        drain = nodes[0]; gate = nodes[1]; source = nodes[2]; bulk = nodes[3]
        off = instance.off
        // ngspice's defaults: W = L = 100 µm, AD = AS = 0, PD = PS = 0, NRD = NRS = 1.
        w = instance.w ?? 1e-4
        l = instance.l ?? 1e-4
        m = instance.m
        let ad = instance.ad ?? 0, `as` = instance.as ?? 0, pd = instance.pd ?? 0, ps = instance.ps ?? 0
        effectiveLength = l - 2 * model.ld
        guard w > 0, l > 0, m > 0, effectiveLength > 0 else {
            throw SimulationError(.badValue, "MOSFET '\(name)': needs W > 0, M > 0 and L − 2·LD > 0 (W=\(w), L=\(l), LD=\(model.ld))",
                                  subject: name, location: location)
        }
        if model.rdGiven { drainConductance = model.rd != 0 ? m / model.rd : 0 }
        else if model.rshGiven, model.rsh != 0, (instance.nrd ?? 1) != 0 { drainConductance = m / (model.rsh * (instance.nrd ?? 1)) }
        else { drainConductance = 0 }
        if model.rsGiven { sourceConductance = model.rs != 0 ? m / model.rs : 0 }
        else if model.rshGiven, model.rsh != 0, (instance.nrs ?? 1) != 0 { sourceConductance = m / (model.rsh * (instance.nrs ?? 1)) }
        else { sourceConductance = 0 }
        drainPrime = drainConductance != 0 ? circuit.newUnknown("\(name)#drain", branch: false) : drain
        sourcePrime = sourceConductance != 0 ? circuit.newUnknown("\(name)#source", branch: false) : source

        // Temperature (ngspice's mos1temp).
        let temp = circuit.temperature, tnom = model.tnom
        vt = temp * Physics.kOverQ
        let ratio = temp / tnom
        let fact1 = tnom / Silicon.referenceTemperature, fact2 = temp / Silicon.referenceTemperature
        let egfet = Silicon.gap(temp), egfet1 = Silicon.gap(tnom)
        let vtnom = tnom * Physics.kOverQ
        let pbfact = Silicon.potentialFactor(temp), pbfact1 = Silicon.potentialFactor(tnom)
        let tKP = model.kp / (ratio * ratio.squareRoot())
        let phio = (model.phi - pbfact1) / fact1
        tPhi = fact2 * phio + pbfact
        tVbi = model.vto - type * (model.gamma * model.phi.squareRoot()) + 0.5 * (egfet1 - egfet)
            + type * 0.5 * (tPhi - model.phi)
        tVto = tVbi + type * model.gamma * tPhi.squareRoot()
        let tSatCur = model.isat * exp(-egfet / vt + egfet1 / vtnom)
        let tSatCurDens = model.js * exp(-egfet / vt + egfet1 / vtnom)
        let pbo = (model.pb - pbfact1) / fact1
        let gmaold = (model.pb - pbo) / pbo
        var capfact = 1 / (1 + model.mj * (4e-4 * (tnom - Silicon.referenceTemperature) - gmaold))
        var tCbd = model.cbd * capfact, tCbs = model.cbs * capfact, tCj = model.cj * capfact
        capfact = 1 / (1 + model.mjsw * (4e-4 * (tnom - Silicon.referenceTemperature) - gmaold))
        var tCjsw = model.cjsw * capfact
        tBulkPot = fact2 * pbo + pbfact
        let gmanew = (tBulkPot - pbo) / pbo
        capfact = 1 + model.mj * (4e-4 * (temp - Silicon.referenceTemperature) - gmanew)
        tCbd *= capfact; tCbs *= capfact; tCj *= capfact
        tCjsw *= 1 + model.mjsw * (4e-4 * (temp - Silicon.referenceTemperature) - gmanew)
        tDepCap = model.fc * tBulkPot
        if tSatCurDens == 0 || ad == 0 || `as` == 0 {
            drainSatCurrent = m * tSatCur; sourceSatCurrent = m * tSatCur
            drainVcrit = vt * log(vt / (2.0.squareRoot() * m * tSatCur)); sourceVcrit = drainVcrit
        } else {
            drainSatCurrent = m * tSatCurDens * ad; sourceSatCurrent = m * tSatCurDens * `as`
            drainVcrit = vt * log(vt / (2.0.squareRoot() * m * tSatCurDens * ad))
            sourceVcrit = vt * log(vt / (2.0.squareRoot() * m * tSatCurDens * `as`))
        }
        czbd = model.cbdGiven ? tCbd * m : (model.cjGiven ? tCj * m * ad : 0)
        czbdsw = model.cjswGiven ? tCjsw * pd * m : 0
        czbs = model.cbsGiven ? tCbs * m : (model.cjGiven ? tCj * m * `as` : 0)
        czbssw = model.cjswGiven ? tCjsw * ps * m : 0
        let bulkPot = tBulkPot, depCap = tDepCap
        let arg = 1 - model.fc
        let sarg = exp(-model.mj * log(arg)), sargsw = exp(-model.mjsw * log(arg))
        func f2(_ c: Double, _ csw: Double) -> Double {
            c * (1 - model.fc * (1 + model.mj)) * sarg / arg + csw * (1 - model.fc * (1 + model.mjsw)) * sargsw / arg
        }
        func f3(_ c: Double, _ csw: Double) -> Double {
            c * model.mj * sarg / arg / bulkPot + csw * model.mjsw * sargsw / arg / bulkPot
        }
        func f4(_ c: Double, _ csw: Double, _ f2: Double, _ f3: Double) -> Double {
            c * bulkPot * (1 - arg * sarg) / (1 - model.mj) + csw * bulkPot * (1 - arg * sargsw) / (1 - model.mjsw)
                - f3 / 2 * depCap * depCap - depCap * f2
        }
        f2d = f2(czbd, czbdsw); f3d = f3(czbd, czbdsw); f4d = f4(czbd, czbdsw, f2d, f3d)
        f2s = f2(czbs, czbssw); f3s = f3(czbs, czbssw); f4s = f4(czbs, czbssw, f2s, f3s)

        beta = tKP * m * w / effectiveLength
        oxideCap = model.oxideCapFactor * effectiveLength * m * w
        gsOverlap = model.cgso * m * w
        gdOverlap = model.cgdo * m * w
        gbOverlap = model.cgbo * m * effectiveLength
    }

    func bind(_ b: SlotBinder) {
        s = MOSFETSlots(b, drain: drain, gate: gate, source: source, bulk: bulk,
                        drainPrime: drainPrime, sourcePrime: sourcePrime)
        chargeState = b.charges(3)
        bulkState = b.charges(2, truncated: false)
        historyState = b.states(6)
    }

    func load(_ context: inout LoadContext) {
        var vbs: Double, vgs: Double, vds: Double
        var limited = false
        switch context.mode {
        case .initJunction:
            if off { vbs = 0; vgs = 0; vds = 0 } else { vbs = -1; vgs = type * tVto; vds = 0 }
            limited = true
        case .float, .smallSignal:
            vbs = type * context.voltage(bulk, sourcePrime)
            vgs = type * context.voltage(gate, sourcePrime)
            vds = type * context.voltage(drainPrime, sourcePrime)
            if context.mode == .float {
                Limiting.mosfet(vgs: &vgs, vds: &vds, vbs: &vbs, oldVgs: self.vgs, oldVds: self.vds,
                                oldVbs: self.vbs, oldVbd: self.vbd, threshold: type * von, vt: vt,
                                sourceVcrit: sourceVcrit, drainVcrit: drainVcrit, limited: &limited)
            }
        }
        evaluate(vbs: vbs, vgs: vgs, vds: vds, gmin: context.gmin)
        if limited { context.limited = true }
        if let t = context.transient {
            let j = loadCharges(&context, t)
            gbd += j.gbd; cbd += j.cbd; cd -= j.cbd
            gbs += j.gbs; cbs += j.cbs
        }

        // Norton equivalents (ngspice's sign conventions, in circuit polarity).
        let vbd = vbs - vds, vgd = vgs - vds
        let ceqbs = type * (cbs - gbs * vbs)
        let ceqbd = type * (cbd - gbd * vbd)
        let cdreq = mode >= 0
            ? type * (cdrain - gds * vds - gm * vgs - gmbs * vbs)
            : -type * (cdrain - gds * (-vds) - gm * vgd - gmbs * vbd)
        context.source(-(ceqbs + ceqbd), at: bulk)
        context.source(ceqbd - cdreq, at: drainPrime)
        context.source(cdreq + ceqbs, at: sourcePrime)
        let gdr = drainConductance, gsr = sourceConductance
        s.stampConductances(&context, gdr: gdr, gsr: gsr, gm: gm, gds: gds, gmbs: gmbs, gbd: gbd, gbs: gbs,
                            forward: mode >= 0)
    }

    /// Drain current, bulk junction currents and their derivatives at the given device-polarity voltages;
    /// stores them as the device's state.
    func evaluate(vbs: Double, vgs: Double, vds: Double, gmin: Double) {
        let vbd = vbs - vds, vgd = vgs - vds
        if vbs <= -3 * vt {
            gbs = gmin; cbs = gbs * vbs - sourceSatCurrent
        } else {
            let e = exp(min(709, vbs / vt))
            gbs = sourceSatCurrent * e / vt + gmin; cbs = sourceSatCurrent * (e - 1) + gmin * vbs
        }
        if vbd <= -3 * vt {
            gbd = gmin; cbd = gbd * vbd - drainSatCurrent
        } else {
            let e = exp(min(709, vbd / vt))
            gbd = drainSatCurrent * e / vt + gmin; cbd = drainSatCurrent * (e - 1) + gmin * vbd
        }
        mode = vds >= 0 ? 1 : -1
        let vbx = mode > 0 ? vbs : vbd
        var sarg: Double
        if vbx <= 0 {
            sarg = (tPhi - vbx).squareRoot()
        } else {
            sarg = tPhi.squareRoot()
            sarg = max(0, sarg - vbx / (sarg + sarg))
        }
        let vonDevice = tVbi * type + model.gamma * sarg
        let vgst = (mode > 0 ? vgs : vgd) - vonDevice
        let vdsatDevice = max(vgst, 0)
        let arg = sarg <= 0 ? 0 : model.gamma / (sarg + sarg)
        let vdsm = vds * mode
        if vgst <= 0 {
            cdrain = 0; gm = 0; gds = 0; gmbs = 0
        } else {
            let betap = beta * (1 + model.lambda * vdsm)
            if vgst <= vdsm {
                cdrain = betap * vgst * vgst * 0.5
                gm = betap * vgst
                gds = model.lambda * beta * vgst * vgst * 0.5
            } else {
                cdrain = betap * vdsm * (vgst - 0.5 * vdsm)
                gm = betap * vdsm
                gds = betap * (vgst - vdsm) + model.lambda * beta * vdsm * (vgst - 0.5 * vdsm)
            }
            gmbs = gm * arg
        }
        von = type * vonDevice
        vdsat = type * vdsatDevice
        cd = mode * cdrain - cbd
        self.vbs = vbs; self.vgs = vgs; self.vds = vds; self.vbd = vbd
    }

    func converged(_ context: LoadContext) -> Bool {
        let vbs = type * context.voltage(bulk, sourcePrime)
        let vgs = type * context.voltage(gate, sourcePrime)
        let vds = type * context.voltage(drainPrime, sourcePrime)
        return mosfetCurrentsConverged(context, vbs: vbs, vgs: vgs, vds: vds,
                                       old: (self.vbs, self.vgs, self.vds, self.vbd), forward: mode >= 0,
                                       cd: cd, cbs: cbs, cbd: cbd, gm: gm, gds: gds, gmbs: gmbs,
                                       gbd: gbd, gbs: gbs)
    }

    /// Bulk junction capacitance at a device-polarity junction voltage.
    private func junctionCapacitance(_ v: Double, bottom: Double, sidewall: Double, f2: Double, f3: Double) -> Double {
        guard bottom != 0 || sidewall != 0 else { return 0 }
        if v < tDepCap {
            let arg = 1 - v / tBulkPot
            return bottom * exp(-model.mj * log(arg)) + sidewall * exp(-model.mjsw * log(arg))
        }
        return f2 + f3 * v
    }

    /// Meyer gate capacitances (gs, gd, gb) including overlaps, as ngspice uses them at an operating point.
    var gateCapacitances: (gs: Double, gd: Double, gb: Double) {
        let vgd = vgs - vds
        let (hs, hd, hb) = mode > 0
            ? MOS1.meyer(vgs: vgs, vgd: vgd, von: type * von, vdsat: type * vdsat, phi: tPhi, cox: oxideCap)
            : { let r = MOS1.meyer(vgs: vgd, vgd: vgs, von: type * von, vdsat: type * vdsat, phi: tPhi, cox: oxideCap)
                return (r.1, r.0, r.2) }()
        return (2 * hs + gsOverlap, 2 * hd + gdOverlap, 2 * hb + gbOverlap)
    }

    /// Half of Meyer's intrinsic gate capacitances (ngspice's DEVqmeyer).
    static func meyer(vgs: Double, vgd: Double, von: Double, vdsat: Double, phi: Double, cox: Double) -> (Double, Double, Double) {
        let vgst = vgs - von
        let vdsat = max(vdsat, 0.025)
        if vgst <= -phi { return (0, 0, cox / 2) }
        if vgst <= -phi / 2 { return (0, 0, -vgst * cox / (2 * phi)) }
        if vgst <= 0 {
            let capgb = -vgst * cox / (2 * phi)
            var capgs = vgst * cox / (1.5 * phi) + cox / 3
            let vds = vgs - vgd
            var capgd = 0.0
            if vds < vdsat {
                let vddif = 2 * vdsat - vds, vddif1 = vdsat - vds, vddif2 = vddif * vddif
                capgd = capgs * (1 - vdsat * vdsat / vddif2)
                capgs = capgs * (1 - vddif1 * vddif1 / vddif2)
            }
            return (capgs, capgd, capgb)
        }
        let vds = vgs - vgd
        if vdsat <= vds { return (cox / 3, 0, 0) }
        let vddif = 2 * vdsat - vds, vddif1 = vdsat - vds, vddif2 = vddif * vddif
        return (cox * (1 - vddif1 * vddif1 / vddif2) / 3, cox * (1 - vdsat * vdsat / vddif2) / 3, 0)
    }

    var bulkCapacitances: (bd: Double, bs: Double) {
        (junctionCapacitance(vbd, bottom: czbd, sidewall: czbdsw, f2: f2d, f3: f3d),
         junctionCapacitance(vbs, bottom: czbs, sidewall: czbssw, f2: f2s, f3: f3s))
    }

    func loadReactive(_ context: ReactiveContext) {
        let (cgs, cgd, cgb) = gateCapacitances
        let (cbd, cbs) = bulkCapacitances
        func cap(_ c: Double, _ a: Unknown, _ b: Unknown, _ aa: MatrixSlot, _ bb: MatrixSlot, _ ab: MatrixSlot, _ ba: MatrixSlot) {
            context.add(c, at: aa); context.add(c, at: bb); context.add(-c, at: ab); context.add(-c, at: ba)
        }
        cap(cgs, gate, sourcePrime, s.gg, s.spsp, s.gsp, s.spg)
        cap(cgd, gate, drainPrime, s.gg, s.dpdp, s.gdp, s.dpg)
        cap(cgb, gate, bulk, s.gg, s.bb, s.gb, s.bg)
        cap(cbd, bulk, drainPrime, s.bb, s.dpdp, s.bdp, s.dpb)
        cap(cbs, bulk, sourcePrime, s.bb, s.spsp, s.bsp, s.spb)
    }

    func parameter(_ name: String) -> Double? {
        switch name {
        case "gm": gm
        case "gds": gds
        case "gmbs", "gmb": gmbs
        case "gbd": gbd
        case "gbs": gbs
        case "id", "cd": cd
        case "ibd": cbd
        case "ibs": cbs
        case "vth", "von": von
        case "vdsat": vdsat
        case "vgs": type * vgs
        case "vds": type * vds
        case "vbs": type * vbs
        case "cgs": gateCapacitances.gs
        case "cgd": gateCapacitances.gd
        case "cgb": gateCapacitances.gb
        case "cbd", "capbd": bulkCapacitances.bd
        case "cbs", "capbs": bulkCapacitances.bs
        case "beta": beta
        case "w": w
        case "l": l
        case "m": m
        default: nil
        }
    }
}
