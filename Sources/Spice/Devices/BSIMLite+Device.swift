import Foundation

/// A BSIM-lite MOSFET instance: the analog subset of BSIM3v3.3 (ngspice `level=8 version=3.3.0`) with
/// exact forward-mode derivatives, ngspice's Newton limiting, bulk junction diodes, optional RSH series
/// resistances and the capmod=2 charges for AC. Voltages are handled in the device's own polarity
/// (multiplied by `type`), as ngspice does.
final class BSIMLite: Device {
    let name: String
    let location: SourceLocation
    let model: BSIMLiteModel
    /// The instance's size- and temperature-dependent parameters, kept out of line and read in place by
    /// the load (a stored struct is copied whenever a method of it is called).
    private let sizeStorage: UnsafeMutablePointer<BSIMLiteSize>
    var size: BSIMLiteSize { unsafeAddress { UnsafePointer(sizeStorage) } }
    let type: Double
    let drain: Unknown, gate: Unknown, source: Unknown, bulk: Unknown
    let drainPrime: Unknown, sourcePrime: Unknown
    let w: Double, l: Double, m: Double
    let drainArea: Double, sourceArea: Double, drainPerimeter: Double, sourcePerimeter: Double
    let drainConductance: Double, sourceConductance: Double
    let drainSatCurrent: Double, sourceSatCurrent: Double
    /// Junction voltage above which ngspice linearizes the diode current (IJTH), and the current there.
    let vjdm: Double, vjsm: Double, isEvjdm: Double, isEvjsm: Double
    let off: Bool
    // State of the last load (ngspice's state0 and instance values), device polarity.
    var vbs = 0.0, vgs = 0.0, vds = 0.0, vbd = 0.0
    private(set) var von = 0.0, vdsat = 0.0, mode = 1.0
    var cdrain = 0.0, cd = 0.0, cbs = 0.0, cbd = 0.0
    private(set) var gm = 0.0, gds = 0.0, gmbs = 0.0, gbd = 0.0, gbs = 0.0
    var s: MOSFETSlots!
    /// Transient state: the gate, drain and bulk charges (each with its current).
    var chargeState = 0
    /// The last transient load's contributions, replayed when the device is bypassed.
    var stamp = BSIMLiteStamp()


    init(name: String, nodes: [Unknown], model: BSIMLiteModel, instance: MOSInstance, circuit: Circuit,
         location: SourceLocation) throws {
        self.name = name; self.location = location; self.model = model; type = model.type
        drain = nodes[0]; gate = nodes[1]; source = nodes[2]; bulk = nodes[3]
        off = instance.off
        // BSIM3's instance defaults: W = L = 5 µm, no junction area or perimeter, one square of RSH.
        w = instance.w ?? 5e-6
        l = instance.l ?? 5e-6
        m = instance.m
        guard w > 0, l > 0, m > 0 else {
            throw SimulationError(.badValue, "MOSFET '\(name)': needs W > 0, L > 0 and M > 0 (W=\(w), L=\(l), M=\(m))",
                                  subject: name, location: location)
        }
        drainArea = instance.ad ?? 0; sourceArea = instance.as ?? 0
        drainPerimeter = instance.pd ?? 0; sourcePerimeter = instance.ps ?? 0
        let size = try model.sized(l: l, w: w, temp: circuit.temperature, instance: name, location: location)
        sizeStorage = .allocate(capacity: 1)
        sizeStorage.initialize(to: size)
        let rd = model.rsh * (instance.nrd ?? 1), rs = model.rsh * (instance.nrs ?? 1)
        drainConductance = rd > 0 ? m / rd : 0
        sourceConductance = rs > 0 ? m / rs : 0
        drainPrime = drainConductance != 0 ? circuit.newUnknown("\(name)#drain", branch: false) : drain
        sourcePrime = sourceConductance != 0 ? circuit.newUnknown("\(name)#source", branch: false) : source

        // Junction saturation currents; ngspice uses 1e-14 A when neither area nor perimeter is given.
        func satCurrent(_ area: Double, _ perimeter: Double) -> Double {
            area <= 0 && perimeter <= 0 ? 1e-14 : area * size.jsTemp + perimeter * size.jswTemp
        }
        drainSatCurrent = satCurrent(drainArea, drainPerimeter)
        sourceSatCurrent = satCurrent(sourceArea, sourcePerimeter)
        let nvtm = size.vtm * model.nj, ijth = model.ijth
        func limit(_ isat: Double) -> (Double, Double) {
            guard isat > 0, ijth > 0 else { return (.infinity, 0) }
            let v = nvtm * log(ijth / isat + 1)
            return (v, isat * exp(v / nvtm))
        }
        (vjdm, isEvjdm) = limit(drainSatCurrent)
        (vjsm, isEvjsm) = limit(sourceSatCurrent)
    }

    deinit {
        sizeStorage.deinitialize(count: 1)
        sizeStorage.deallocate()
    }

    func bind(_ b: SlotBinder) {
        s = MOSFETSlots(b, drain: drain, gate: gate, source: source, bulk: bulk,
                        drainPrime: drainPrime, sourcePrime: sourcePrime)
        chargeState = b.charges(3)
    }

    func load(_ context: inout LoadContext) {
        var vbs: Double, vgs: Double, vds: Double
        var limited = false
        switch context.mode {
        case .initJunction:
            // ngspice starts an instance just above threshold with a small drain bias.
            if off { vbs = 0; vgs = 0; vds = 0 } else { vbs = 0; vgs = type * size.vth0 + 0.1; vds = 0.1 }
            limited = true
        case .float, .smallSignal:
            vbs = type * context.voltage(bulk, sourcePrime)
            vgs = type * context.voltage(gate, sourcePrime)
            vds = type * context.voltage(drainPrime, sourcePrime)
            if context.mode == .float {
                if let t = context.transient, bypass(&context, t, vbs: vbs, vgs: vgs, vds: vds) { return }
                Limiting.mosfet(vgs: &vgs, vds: &vds, vbs: &vbs, oldVgs: self.vgs, oldVds: self.vds,
                                oldVbs: self.vbs, oldVbd: self.vbd, threshold: von, vt: BSIMConstant.vt0,
                                sourceVcrit: BSIMConstant.vcrit, drainVcrit: BSIMConstant.vcrit, limited: &limited)
            }
        }
        let channel = evaluate(vbs: vbs, vgs: vgs, vds: vds, gmin: context.gmin)
        if limited { context.limited = true }
        if let t = context.transient { loadCharges(&context, t, channel) } else { stamp.charged = false }

        // Norton equivalents (ngspice's sign conventions, in circuit polarity), scaled by M.
        let vbd = vbs - vds, vgd = vgs - vds
        let m = self.m
        let ceqbs = type * (cbs - gbs * vbs) * m
        let ceqbd = type * (cbd - gbd * vbd) * m
        let cdreq = (mode >= 0
            ? type * (cdrain - gds * vds - gm * vgs - gmbs * vbs)
            : -type * (cdrain - gds * (-vds) - gm * vgd - gmbs * vbd)) * m
        context.source(-(ceqbs + ceqbd), at: bulk)
        context.source(ceqbd - cdreq, at: drainPrime)
        context.source(cdreq + ceqbs, at: sourcePrime)
        let gdr = drainConductance, gsr = sourceConductance
        let gm = self.gm * m, gds = self.gds * m, gmbs = self.gmbs * m, gbd = self.gbd * m, gbs = self.gbs * m
        s.stampConductances(&context, gdr: gdr, gsr: gsr, gm: gm, gds: gds, gmbs: gmbs, gbd: gbd, gbs: gbs,
                            forward: mode >= 0)
        stamp.ceqbs = ceqbs; stamp.ceqbd = ceqbd; stamp.cdreq = cdreq
        stamp.gm = gm; stamp.gds = gds; stamp.gmbs = gmbs; stamp.gbd = gbd; stamp.gbs = gbs
        stamp.forward = mode >= 0
    }

    /// One junction's current and conductance (ngspice's BSIM3 diode with IJTH linearization and gmin).
    private func junction(_ v: Double, isat: Double, vjm: Double, isEvjm: Double, gmin: Double) -> (i: Double, g: Double) {
        let nvtm = size.vtm * model.nj
        guard isat > 0 else { return (gmin * v, gmin) }
        if v < vjm {
            let e = exp(v / nvtm)
            return (isat * (e - 1) + gmin * v, isat * e / nvtm + gmin)
        }
        let g = isEvjm / nvtm
        return (isEvjm - isat + g * (v - vjm) + gmin * v, g + gmin)
    }

    /// Channel and junction currents with their derivatives at device-polarity voltages, per unit M;
    /// stores them as the device's state and returns the channel evaluation for the charge model.
    @discardableResult
    func evaluate(vbs: Double, vgs: Double, vds: Double, gmin: Double) -> BSIMLiteChannel {
        let vbd = vbs - vds, vgd = vgs - vds
        (cbs, gbs) = junction(vbs, isat: sourceSatCurrent, vjm: vjsm, isEvjm: isEvjsm, gmin: gmin)
        (cbd, gbd) = junction(vbd, isat: drainSatCurrent, vjm: vjdm, isEvjm: isEvjdm, gmin: gmin)
        mode = vds >= 0 ? 1 : -1
        let c = mode > 0
            ? size.channel(vgs: vgs, vds: vds, vbs: vbs)
            : size.channel(vgs: vgd, vds: -vds, vbs: vbd)
        cdrain = c.ids.v
        gm = c.ids.g; gds = c.ids.d; gmbs = c.ids.b
        von = c.vth.v
        vdsat = c.vdsat.v
        cd = mode * cdrain - cbd
        self.vbs = vbs; self.vgs = vgs; self.vds = vds; self.vbd = vbd
        return c
    }

    func converged(_ context: LoadContext) -> Bool {
        let vbs = type * context.voltage(bulk, sourcePrime)
        let vgs = type * context.voltage(gate, sourcePrime)
        let vds = type * context.voltage(drainPrime, sourcePrime)
        return mosfetCurrentsConverged(context, vbs: vbs, vgs: vgs, vds: vds,
                                       old: (self.vbs, self.vgs, self.vds, self.vbd), forward: mode >= 0,
                                       cd: cd, cbs: cbs, cbd: cbd, gm: gm, gds: gds, gmbs: gmbs,
                                       gbd: gbd, gbs: gbs, scale: m)
    }

    func parameter(_ name: String) -> Double? {
        switch name {
        case "gm": gm * m
        case "gds": gds * m
        case "gmbs", "gmb": gmbs * m
        case "gbd": gbd * m
        case "gbs": gbs * m
        // ngspice 39's BSIM3 reports the channel current in the channel frame (positive in reverse mode
        // too) without the junction current.
        case "id", "cd": cdrain * m
        case "ibd": cbd * m
        case "ibs": cbs * m
        case "vth", "von": von
        case "vdsat": vdsat
        case "vgs": type * vgs
        case "vds": type * vds
        case "vbs": type * vbs
        case "w": w
        case "l": l
        case "m": m
        default: chargeParameter(name)
        }
    }
}
