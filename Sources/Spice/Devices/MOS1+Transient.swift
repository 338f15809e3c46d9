#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The level-1 MOSFET's charges in a transient: Meyer gate capacitances integrated with ngspice's
/// averaged-capacitance rule, and the bulk junction charges.
extension MOS1 {
    /// What the bulk junction charges add to the junction diodes' companion models (device polarity).
    struct JunctionCompanion {
        var gbd = 0.0, cbd = 0.0, gbs = 0.0, cbs = 0.0
    }

    /// Half of each Meyer capacitance (gs, gd, gb) at the present device-polarity voltages, with the
    /// drain and source roles swapped in reverse mode (ngspice's DEVqmeyer call in mos1load).
    func meyerHalves() -> (gs: Double, gd: Double, gb: Double) {
        let vgd = vgs - vds
        if mode > 0 {
            let r = MOS1.meyer(vgs: vgs, vgd: vgd, von: type * von, vdsat: type * vdsat, phi: tPhi, cox: oxideCap)
            return (r.0, r.1, r.2)
        }
        let r = MOS1.meyer(vgs: vgd, vgd: vgs, von: type * von, vdsat: type * vdsat, phi: tPhi, cox: oxideCap)
        return (r.1, r.0, r.2)
    }

    /// A bulk junction's depletion charge and capacitance at `v` (bottom plus sidewall).
    func bulkCharge(_ v: Double, bottom: Double, sidewall: Double, f2: Double, f3: Double, f4: Double) -> (q: Double, c: Double) {
        guard bottom != 0 || sidewall != 0 else { return (0, 0) }
        if v < tDepCap {
            let arg = 1 - v / tBulkPot
            let sarg = exp(-model.mj * log(arg)), sargsw = exp(-model.mjsw * log(arg))
            let q = tBulkPot * (bottom * (1 - arg * sarg) / (1 - model.mj) + sidewall * (1 - arg * sargsw) / (1 - model.mjsw))
            return (q, bottom * sarg + sidewall * sargsw)
        }
        return (f4 + v * (f2 + v * f3 / 2), f2 + f3 * v)
    }

    /// Stores this point's charges and, while integrating, stamps the gate capacitances' companion
    /// models; returns the bulk junctions' share for the caller's junction stamps.
    func loadCharges(_ context: inout LoadContext, _ t: Integrator) -> JunctionCompanion {
        let now = t.present
        let q = chargeState, bq = bulkState, h = historyState
        let vbd = vbs - vds, vgd = vgs - vds, vgb = vgs - vbs
        let halves = meyerHalves()
        now[h] = halves.gs; now[h + 1] = halves.gd; now[h + 2] = halves.gb
        now[h + 3] = vgs; now[h + 4] = vds; now[h + 5] = vbs
        let (qbd, capbd) = bulkCharge(vbd, bottom: czbd, sidewall: czbdsw, f2: f2d, f3: f3d, f4: f4d)
        let (qbs, capbs) = bulkCharge(vbs, bottom: czbs, sidewall: czbssw, f2: f2s, f3: f3s, f4: f4s)
        now[bq] = qbd; now[bq + 2] = qbs
        guard t.integrating else {
            // The operating point: charges from the full capacitances (only differences matter later).
            now[q] = vgs * (2 * halves.gs + gsOverlap)
            now[q + 2] = vgd * (2 * halves.gd + gdOverlap)
            now[q + 4] = vgb * (2 * halves.gb + gbOverlap)
            return JunctionCompanion()
        }
        // Meyer: q_n = q_{n−1} + C_avg·(v_n − v_{n−1}), C_avg the sum of this and the last point's halves.
        let before = t.previous
        let capgs = halves.gs + before[h] + gsOverlap
        let capgd = halves.gd + before[h + 1] + gdOverlap
        let capgb = halves.gb + before[h + 2] + gbOverlap
        let vgs1 = before[h + 3], vgd1 = vgs1 - before[h + 4], vgb1 = vgs1 - before[h + 5]
        now[q] = (vgs - vgs1) * capgs + before[q]
        now[q + 2] = (vgd - vgd1) * capgd + before[q + 2]
        now[q + 4] = (vgb - vgb1) * capgb + before[q + 4]
        let ag0 = t.ag0
        let gcgs = ag0 * capgs, gcgd = ag0 * capgd, gcgb = ag0 * capgb
        // A zero capacitance carries no current (its history entry must not keep a stale one).
        if capgs == 0 { now[q + 1] = 0 }
        if capgd == 0 { now[q + 3] = 0 }
        if capgb == 0 { now[q + 5] = 0 }
        let ceqgs = (capgs == 0 ? 0 : t.integrate(q)) - gcgs * vgs
        let ceqgd = (capgd == 0 ? 0 : t.integrate(q + 2)) - gcgd * vgd
        let ceqgb = (capgb == 0 ? 0 : t.integrate(q + 4)) - gcgb * vgb
        context.source(-type * (ceqgs + ceqgd + ceqgb), at: gate)
        context.source(type * ceqgb, at: bulk)
        context.source(type * ceqgd, at: drainPrime)
        context.source(type * ceqgs, at: sourcePrime)
        context.add(gcgs + gcgd + gcgb, at: s.gg)
        context.add(gcgb, at: s.bb); context.add(gcgd, at: s.dpdp); context.add(gcgs, at: s.spsp)
        context.add(-gcgb, at: s.gb); context.add(-gcgd, at: s.gdp); context.add(-gcgs, at: s.gsp)
        context.add(-gcgb, at: s.bg); context.add(-gcgd, at: s.dpg); context.add(-gcgs, at: s.spg)
        return JunctionCompanion(gbd: ag0 * capbd, cbd: t.integrate(bq), gbs: ag0 * capbs, cbs: t.integrate(bq + 2))
    }
}
