#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The terminal charges of BSIM3v3.3's capmod=2 (the smooth, charge-conserving model) in the channel
/// frame, with their derivatives with respect to the frame's Vgs, Vds and Vbs.
struct BSIMLiteCharges {
    var gate: Dual, drain: Dual, source: Dual, bulk: Dual
}

extension BSIMLiteSize {
    /// Intrinsic gate, drain, source and bulk charges (capmod=2 or 3 with the XPART partition) at frame
    /// voltages `vgs`, `vds` ≥ 0, given the DC evaluation at the same point (ngspice's `b3ld`, manual ch. 4).
    func charges(_ c: BSIMLiteChannel, vgs vgsValue: Double, vds vdsValue: Double) -> BSIMLiteCharges {
        let vgs = Dual(vgsValue, g: 1), vds = Dual(vdsValue, d: 1)
        let delta3 = 0.02, delta4 = 0.02
        let coxWL = cox * self.weffCV * self.leffCV
        let vbseffCV = c.vbseff.v < 0 ? c.vbseff : self.phi - c.phis

        // The charge model's own Vgsteff: the DC one with the swing scaled by NOFF and shifted by VOFFCV.
        let t0n = self.vtm * (c.n * self.noff)
        let vgstCV = c.vgst - self.voffcv
        let vgstNVt = vgstCV / t0n
        let vgsteff: Dual
        if vgstNVt.v > BSIMConstant.expThreshold {
            vgsteff = vgstCV
        } else if vgstNVt.v < -BSIMConstant.expThreshold {
            vgsteff = t0n * Glibc.log(1 + BSIMConstant.minExp)
        } else {
            vgsteff = t0n * log(1 + exp(vgstNVt))
        }

        // Accumulation and depletion charges around the zero-bias flat band VFBZB.
        let vfb = self.vfbzb
        let v3 = vfb - vgs + vbseffCV - delta3
        let root = vfb <= 0 ? sqrt(v3 * v3 - 4 * delta3 * vfb) : sqrt(v3 * v3 + 4 * delta3 * vfb)
        let vfbeff = vfb - 0.5 * (v3 + root)
        if capmod == 3 {
            return chargesCTM(c, vgs: vgs, vds: vds, vgsteff: vgsteff, vbseffCV: vbseffCV, vfbeff: vfbeff)
        }
        let qac0 = coxWL * (vfbeff - vfb)
        let half = 0.5 * self.k1ox
        let t3 = vgs - vfbeff - vbseffCV - vgsteff
        let t1: Dual
        if self.k1ox == 0 { t1 = Dual(0) } else if t3.v < 0 { t1 = half + t3 / self.k1ox } else { t1 = sqrt(half * half + t3) }
        let qsub0 = self.k1ox == 0 ? Dual(0) : coxWL * self.k1ox * (t1 - half)

        // Inversion charge with the smoothed CV saturation voltage.
        let abulkCV = c.abulk0 * self.abulkCVfactor
        let vdsatCV = vgsteff / abulkCV
        let v4 = vdsatCV - vds - delta4
        let r4 = sqrt(v4 * v4 + 4 * delta4 * vdsatCV)
        var vdseffCV = vdsatCV - 0.5 * (v4 + r4)
        // ngspice zeroes VdseffCV at Vds = 0 exactly, keeping only its partial slope in Vds.
        if vdsValue == 0 { vdseffCV = Dual(0, d: 0.5 * (1 + v4.v / r4.v)) }
        let a = abulkCV * vdseffCV
        let t1q = 12 * (vgsteff - 0.5 * a + 1e-20)
        let t3q = a * (vdseffCV / t1q)
        var qgate = coxWL * (vgsteff - 0.5 * vdseffCV + t3q)
        var qbulk = coxWL * (1 - abulkCV) * (0.5 * vdseffCV - t3q)
        let qsrc: Dual
        if xpart > 0.5 {
            qsrc = -coxWL * (0.5 * vgsteff + 0.25 * a - a * a / (2 * t1q))
        } else if xpart < 0.5 {
            let t1y = t1q / 12
            let t2y = 0.5 * coxWL / (t1y * t1y)
            let t3y = vgsteff * (2 * a * a / 3 + vgsteff * (vgsteff - 4 * a / 3)) - 2 * a * a * a / 15
            qsrc = -(t2y * t3y)
        } else {
            qsrc = -0.5 * (qgate + qbulk)
        }
        qgate = qgate + qac0 + qsub0
        qbulk = qbulk - (qac0 + qsub0)
        let qdrn = -(qgate + qbulk + qsrc)
        return BSIMLiteCharges(gate: qgate, drain: qdrn, source: qsrc, bulk: qbulk)
    }

    /// capmod=3, the charge-thickness model (manual §4.4): the oxide capacitance in series with the
    /// capacitance of the charge centroid's depth, one depth below threshold (Debye length and ACDE) and
    /// one in inversion (from Vgsteff and Vth), and the inversion charge reduced by the surface-potential
    /// rise ΔΦ (MOIN).
    private func chargesCTM(_ c: BSIMLiteChannel, vgs: Dual, vds: Dual, vgsteff: Dual,
                            vbseffCV: Dual, vfbeff: Dual) -> BSIMLiteCharges {
        let delta4 = 0.02
        let cox = self.cox
        let coxWL = cox * self.weffCV * self.leffCV
        let vfb = self.vfbzb
        // Series combination of Cox and εSi/Tcen, as the factor on CoxWL.
        func centroid(_ tcen: Dual) -> Dual {
            let ccen = BSIMConstant.epsSi / tcen
            return (cox / (cox + ccen)) * ccen / cox
        }

        // Accumulation/depletion: Tcen = LDEB·exp(ACDE·(Vgs − Vbs − VFBZB)/TOX[Å]), limited to LDEB.
        let toxA = 1e8 * tox
        let arg = self.acde * ((vgs - vbseffCV - vfb) / toxA)
        let tcenRaw: Dual
        if arg.v <= -BSIMConstant.expThreshold {
            tcenRaw = Dual(self.ldeb * BSIMConstant.minExp)
        } else if arg.v >= BSIMConstant.expThreshold {
            tcenRaw = Dual(self.ldeb * BSIMConstant.maxExp)
        } else {
            tcenRaw = self.ldeb * exp(arg)
        }
        let link = 1e-3 * tox
        let v3 = self.ldeb - tcenRaw - link
        let tcenAcc = self.ldeb - 0.5 * (v3 + sqrt(v3 * v3 + 4 * link * self.ldeb))
        let coxWLacc = coxWL * centroid(tcenAcc)
        let qac0 = coxWLacc * (vfbeff - vfb)
        let half = 0.5 * self.k1ox
        let t3 = vgs - vfbeff - vbseffCV - vgsteff
        let t1: Dual
        if self.k1ox == 0 { t1 = Dual(0) } else if t3.v < 0 { t1 = half + t3 / self.k1ox } else { t1 = sqrt(half * half + t3) }
        let qsub0 = self.k1ox == 0 ? Dual(0) : coxWLacc * self.k1ox * (t1 - half)

        // ΔΦ: the surface potential keeps rising in inversion.
        let denominator: Double, t0p: Double
        if self.k1ox <= 0 {
            denominator = 0.25 * self.moin * self.vtm; t0p = 0.5 * self.sqrtPhi
        } else {
            denominator = self.moin * self.vtm * self.k1ox * self.k1ox; t0p = self.k1ox * self.sqrtPhi
        }
        let deltaPhi = self.vtm * log(1 + (2 * t0p + vgsteff) * vgsteff / denominator)
        let tdp = vgsteff - deltaPhi - 0.001
        let vgDP = 0.5 * (tdp + sqrt(tdp * tdp + vgsteff * 0.004))

        // Inversion: Tcen = 1.9 nm / (1 + ((Vgsteff + 4(Vth − VFBZB − Φ))/(2·TOX[Å]))^0.7).
        let t3v = 4 * (c.vth - vfb - self.phi)
        let x = t3v.v >= 0 ? (vgsteff + t3v) / (2 * toxA) : (vgsteff + 1e-20) / (2 * toxA)
        let tcenInv = 1.9e-9 / (1 + exp(0.7 * log(x)))
        let coxWLcen = coxWL * centroid(tcenInv)

        let abulkCV = c.abulk0 * self.abulkCVfactor
        let vdsatCV = vgDP / abulkCV
        let v4 = vdsatCV - vds - delta4
        let r4 = sqrt(v4 * v4 + 4 * delta4 * vdsatCV)
        var vdseffCV = v4.v >= 0 ? vdsatCV - 0.5 * (v4 + r4) : vdsatCV * (1 - 2 * delta4 / (r4 - v4))
        if vds.v == 0 {
            // As ngspice: VdseffCV is zero at Vds = 0 with only its Vds slope kept.
            vdseffCV = Dual(0, d: vdseffCV.d)
        }
        let a = abulkCV * vdseffCV
        let t2 = 12 * (vgDP - 0.5 * a + 1e-20)
        let t3q = a / t2
        let qinv = coxWLcen * (vgDP - a * (0.5 - t3q))
        var qbulk = coxWLcen * (1 - abulkCV) * (0.5 * vdseffCV - a * vdseffCV / t2)
        let qsrc: Dual
        if xpart > 0.5 {
            qsrc = -coxWLcen * (0.5 * vgDP + 0.25 * a - 0.5 * a * a / t2)
        } else if xpart < 0.5 {
            let t2y = t2 / 12
            let t3y = 0.5 * coxWLcen / (t2y * t2y)
            let t4y = vgDP * (2 * a * a / 3 + vgDP * (vgDP - 4 * a / 3)) - 2 * a * a * a / 15
            qsrc = -(t3y * t4y)
        } else {
            qsrc = -0.5 * qinv
        }
        let qgate = qinv + qac0 + qsub0 - qbulk
        qbulk = qbulk - (qac0 + qsub0)
        let qdrn = -(qgate + qbulk + qsrc)
        return BSIMLiteCharges(gate: qgate, drain: qdrn, source: qsrc, bulk: qbulk)
    }
}

/// Capacitances of one instance at its operating point, per unit M: the intrinsic matrix C[i][j] =
/// ∂Q_i/∂V_j over (gate, drain, source, bulk) in physical terminal order, the bias-dependent overlaps and
/// the bulk junctions.
struct BSIMLiteCapacitances {
    var intrinsic: [[Double]]
    /// ngspice's cggb, cgdb, cgsb ... in the channel frame (what `@m1[cgg]` reports).
    var frame: [[Double]]
    var cgdo: Double, cgso: Double, cgbo: Double
    var capbd: Double, capbs: Double
}

extension BSIMLite {
    /// The capacitances at the present operating point.
    var capacitances: BSIMLiteCapacitances {
        let forward = mode > 0
        let c = forward ? size.channel(vgs: vgs, vds: vds, vbs: vbs) : size.channel(vgs: vgs - vds, vds: -vds, vbs: vbd)
        let q = forward ? size.charges(c, vgs: vgs, vds: vds) : size.charges(c, vgs: vgs - vds, vds: -vds)
        // Frame matrix over (g, d, s, b) of the frame; the source column is minus the sum of the others.
        func row(_ x: Dual) -> [Double] { [x.g, x.d, -(x.g + x.d + x.b), x.b] }
        let frame = [row(q.gate), row(q.drain), row(q.source), row(q.bulk)]
        // Physical order: in reverse mode the frame's drain is the physical source.
        let map = forward ? [0, 1, 2, 3] : [0, 2, 1, 3]
        var intrinsic = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for i in 0..<4 { for j in 0..<4 { intrinsic[map[i]][map[j]] = frame[i][j] } }

        // Overlaps and bulk junctions: the capacitances of the transient's charge routines.
        let cgdo = overlapCharge(vgs - vds, constant: size.cgdoTotal, lightlyDoped: size.cgdl).c
        let cgso = overlapCharge(vgs, constant: size.cgsoTotal, lightlyDoped: size.cgsl).c
        return BSIMLiteCapacitances(
            intrinsic: intrinsic, frame: frame, cgdo: cgdo, cgso: cgso, cgbo: size.cgboTotal,
            capbd: junctionCharge(vbd, area: drainArea, perimeter: drainPerimeter).c,
            capbs: junctionCharge(vbs, area: sourceArea, perimeter: sourcePerimeter).c)
    }

    func loadReactive(_ context: ReactiveContext) {
        let caps = capacitances
        let m = self.m
        let slots: [[MatrixSlot]] = [
            [s.gg, s.gdp, s.gsp, s.gb], [s.dpg, s.dpdp, s.dpsp, s.dpb],
            [s.spg, s.spdp, s.spsp, s.spb], [s.bg, s.bdp, s.bsp, s.bb],
        ]
        for i in 0..<4 { for j in 0..<4 { context.add(m * caps.intrinsic[i][j], at: slots[i][j]) } }
        func cap(_ c: Double, _ aa: MatrixSlot, _ bb: MatrixSlot, _ ab: MatrixSlot, _ ba: MatrixSlot) {
            context.add(m * c, at: aa); context.add(m * c, at: bb); context.add(-m * c, at: ab); context.add(-m * c, at: ba)
        }
        cap(caps.cgdo, s.gg, s.dpdp, s.gdp, s.dpg)
        cap(caps.cgso, s.gg, s.spsp, s.gsp, s.spg)
        cap(caps.cgbo, s.gg, s.bb, s.gb, s.bg)
        cap(caps.capbd, s.bb, s.dpdp, s.bdp, s.dpb)
        cap(caps.capbs, s.bb, s.spsp, s.bsp, s.spb)
    }

    /// Charge-model operating-point quantities by ngspice's names (`cgg`, `cgs`, `cgd`, `cbg`...: the
    /// intrinsic ∂Q/∂V in the channel frame; `capbd`, `capbs`: junctions), scaled by M; nil when unknown.
    func chargeParameter(_ name: String) -> Double? {
        let index: [Character: Int] = ["g": 0, "d": 1, "s": 2, "b": 3]
        switch name {
        case "capbd": return m * capacitances.capbd
        case "capbs": return m * capacitances.capbs
        case "cgdo": return m * capacitances.cgdo
        case "cgso": return m * capacitances.cgso
        default: break
        }
        let chars = Array(name)
        guard chars.count == 3, chars[0] == "c", let i = index[chars[1]], let j = index[chars[2]] else { return nil }
        return m * capacitances.frame[i][j]
    }
}
