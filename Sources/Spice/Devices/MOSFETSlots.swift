/// The matrix slots of a four-terminal MOSFET with internal drain and source nodes, and the DC stamp
/// they carry: every MOSFET model has the same pattern, so the pattern and the stamp are written once.
struct MOSFETSlots: Sendable {
    let dd, gg, ss, bb, dpdp, spsp, ddp, gb, gdp, gsp, ssp, bg, bdp, bsp, dpd, dpg, dpb, dpsp, spg, sps, spb, spdp: MatrixSlot

    /// `drainPrime`/`sourcePrime` are the drain and source themselves when there is no series resistance.
    init(_ b: SlotBinder, drain d: Unknown, gate g: Unknown, source sn: Unknown, bulk bn: Unknown,
         drainPrime dp: Unknown, sourcePrime sp: Unknown) {
        dd = b.slot(d, d); gg = b.slot(g, g); ss = b.slot(sn, sn); bb = b.slot(bn, bn)
        dpdp = b.slot(dp, dp); spsp = b.slot(sp, sp); ddp = b.slot(d, dp); gb = b.slot(g, bn)
        gdp = b.slot(g, dp); gsp = b.slot(g, sp); ssp = b.slot(sn, sp); bg = b.slot(bn, g)
        bdp = b.slot(bn, dp); bsp = b.slot(bn, sp); dpd = b.slot(dp, d); dpg = b.slot(dp, g)
        dpb = b.slot(dp, bn); dpsp = b.slot(dp, sp); spg = b.slot(sp, g); sps = b.slot(sp, sn)
        spb = b.slot(sp, bn); spdp = b.slot(sp, dp)
    }

    /// Adds the linearized channel (gm, gds, gmbs, in the device's own drain/source orientation), the
    /// bulk junctions (gbd, gbs) and the series resistances (gdr, gsr); `forward` is false when the
    /// device runs with drain and source swapped (ngspice's mode −1).
    @inline(__always)
    func stampConductances(_ context: inout LoadContext, gdr: Double, gsr: Double, gm: Double, gds: Double,
                           gmbs: Double, gbd: Double, gbs: Double, forward: Bool) {
        let xnrm: Double = forward ? 1 : 0, xrev: Double = 1 - xnrm
        context.add(gdr, at: dd)
        context.add(gsr, at: ss)
        context.add(gbd + gbs, at: bb)
        context.add(gdr + gds + gbd + xrev * (gm + gmbs), at: dpdp)
        context.add(gsr + gds + gbs + xnrm * (gm + gmbs), at: spsp)
        context.add(-gdr, at: ddp)
        context.add(-gsr, at: ssp)
        context.add(-gbd, at: bdp)
        context.add(-gbs, at: bsp)
        context.add(-gdr, at: dpd)
        context.add((xnrm - xrev) * gm, at: dpg)
        context.add(-gbd + (xnrm - xrev) * gmbs, at: dpb)
        context.add(-gds - xnrm * (gm + gmbs), at: dpsp)
        context.add(-(xnrm - xrev) * gm, at: spg)
        context.add(-gsr, at: sps)
        context.add(-gbs - (xnrm - xrev) * gmbs, at: spb)
        context.add(-gds - xrev * (gm + gmbs), at: spdp)
    }
}

/// ngspice's MOSFET current convergence test: the drain and bulk currents predicted from the last
/// linearization (at `old` voltages) must agree, within reltol/abstol, with the values stored there.
/// `vbs vgs vds` are the new device-polarity voltages; `scale` multiplies per-device currents (M) for
/// models that store them unscaled.
@inline(__always)
func mosfetCurrentsConverged(_ context: LoadContext, vbs: Double, vgs: Double, vds: Double,
                             old: (vbs: Double, vgs: Double, vds: Double, vbd: Double), forward: Bool,
                             cd: Double, cbs: Double, cbd: Double, gm: Double, gds: Double, gmbs: Double,
                             gbd: Double, gbs: Double, scale: Double = 1) -> Bool {
    let vbd = vbs - vds, vgd = vgs - vds
    let delvbs = vbs - old.vbs, delvbd = vbd - old.vbd, delvgs = vgs - old.vgs
    let delvds = vds - old.vds, delvgd = vgd - (old.vgs - old.vds)
    let cdhat = forward
        ? cd - gbd * delvbd + gmbs * delvbs + gm * delvgs + gds * delvds
        : cd - (gbd - gmbs) * delvbd - gm * delvgd + gds * delvds
    let cbhat = cbs + cbd + gbd * delvbd + gbs * delvbs
    let reltol = context.reltol, abstol = context.abstol
    if abs(cdhat - cd) * scale >= reltol * max(abs(cdhat), abs(cd)) * scale + abstol { return false }
    return abs(cbhat - (cbs + cbd)) * scale <= reltol * max(abs(cbhat), abs(cbs + cbd)) * scale + abstol
}
