#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// BSIM-lite's charges in a transient: the capmod=2 intrinsic charges, the bias-dependent overlap
/// charges and the bulk junction charges, lumped per terminal as ngspice's b3ld does (gate, drain and
/// bulk are integrated; the source charge is minus their sum).
extension BSIMLite {
    /// Terminal charges (gate, drain', source', bulk) in device polarity and their derivatives with
    /// respect to the terminal voltages, per unit M, at the present evaluation point.
    struct TerminalCharges {
        var q = (0.0, 0.0, 0.0, 0.0)
        /// c[i][j] = ∂Q_i/∂V_j, rows and columns in the order gate, drain', source', bulk, stored as
        /// c[4 * i + j] (a fixed-size value, so the load loop allocates nothing).
        var c = SIMD16<Double>(repeating: 0)
    }

    /// The charges at the present device-polarity voltages (vgs, vds, vbs of the last evaluation, whose
    /// channel values are `ch`).
    func terminalCharges(_ ch: BSIMLiteChannel) -> TerminalCharges {
        var r = TerminalCharges()
        let forward = mode > 0
        let q = forward ? size.charges(ch, vgs: vgs, vds: vds)
                        : size.charges(ch, vgs: vgs - vds, vds: -vds)
        // Physical order: in reverse mode the frame's drain is the physical source.
        @inline(__always) func map(_ i: Int) -> Int { forward ? i : (i == 1 ? 2 : i == 2 ? 1 : i) }
        var charge = SIMD4<Double>(repeating: 0)
        // Frame rows over (g, d, s, b) of the frame; the source column is minus the others' sum.
        @inline(__always) func frameRow(_ i: Int, _ x: Dual) {
            let mi = map(i)
            charge[mi] = x.v
            r.c[4 * mi + map(0)] = x.g
            r.c[4 * mi + map(1)] = x.d
            r.c[4 * mi + map(2)] = -(x.g + x.d + x.b)
            r.c[4 * mi + map(3)] = x.b
        }
        frameRow(0, q.gate); frameRow(1, q.drain); frameRow(2, q.source); frameRow(3, q.bulk)
        func pair(_ cap: Double, _ a: Int, _ b: Int) {
            r.c[4 * a + a] += cap; r.c[4 * b + b] += cap
            r.c[4 * a + b] -= cap; r.c[4 * b + a] -= cap
        }
        // Overlaps (capmod=2 smooth CGDL/CGSL bias dependence), plus CGBO.
        let vgd = vgs - vds, vgb = vgs - vbs
        let gdo = overlapCharge(vgd, constant: size.cgdoTotal, lightlyDoped: size.cgdl)
        let gso = overlapCharge(vgs, constant: size.cgsoTotal, lightlyDoped: size.cgsl)
        let qgbo = size.cgboTotal * vgb
        charge[0] += gdo.q + gso.q + qgbo
        charge[1] -= gdo.q; charge[2] -= gso.q; charge[3] -= qgbo
        pair(gdo.c, 0, 1); pair(gso.c, 0, 2); pair(size.cgboTotal, 0, 3)
        // Bulk junctions: bottom, field-oxide sidewall and gate-edge sidewall.
        let bd = junctionCharge(vbd, area: drainArea, perimeter: drainPerimeter)
        let bs = junctionCharge(vbs, area: sourceArea, perimeter: sourcePerimeter)
        charge[3] += bd.q + bs.q; charge[1] -= bd.q; charge[2] -= bs.q
        pair(bd.c, 3, 1); pair(bs.c, 3, 2)
        r.q = (charge[0], charge[1], charge[2], charge[3])
        return r
    }

    /// One gate–drain or gate–source overlap's charge and capacitance at `v` (capmod=2: the constant
    /// overlap plus the smooth CGDL/CGSL bias dependence below flat band, and its integral).
    func overlapCharge(_ v: Double, constant: Double, lightlyDoped: Double) -> (q: Double, c: Double) {
        let delta1 = 0.02
        let t0 = v + delta1
        let t1 = (t0 * t0 + 4 * delta1).squareRoot()
        let t2 = 0.5 * (t0 - t1)
        let t3 = size.weffCV * lightlyDoped
        let t4 = (1 - 4 * t2 / size.ckappa).squareRoot()
        let c = constant + t3 - t3 * (1 - 1 / t4) * (0.5 - 0.5 * t0 / t1)
        return ((constant + t3) * v - t3 * (t2 + 0.5 * size.ckappa * (t4 - 1)), c)
    }

    /// One bulk junction's depletion charge and capacitance at `v` (BSIM3's three-part junction).
    func junctionCharge(_ v: Double, area: Double, perimeter: Double) -> (q: Double, c: Double) {
        let bottom = model.cj * area
        let (side, gateSide) = perimeter < size.weff
            ? (0.0, model.cjswg * perimeter)
            : (model.cjsw * (perimeter - size.weff), model.cjswg * size.weff)
        if v == 0 { return (0, bottom + side + gateSide) }
        if v < 0 {
            var q = 0.0, c = 0.0
            @inline(__always) func part(_ cz: Double, _ m: Double, _ pb: Double, _ arg: Double, _ logArg: Double) {
                guard cz > 0 else { return }
                let sarg = Glibc.exp(-m * logArg)
                q += pb * cz * (1 - arg * sarg) / (1 - m)
                c += cz * sarg
            }
            if bottom > 0 {
                let arg = 1 - v / model.pb
                part(bottom, model.mj, model.pb, arg, Glibc.log(arg))
            }
            // The two sidewalls share their logarithm when their potentials agree (the default PBSWG).
            let argSide = 1 - v / model.pbsw
            let logSide = side > 0 || model.pbswg == model.pbsw ? Glibc.log(argSide) : 0
            part(side, model.mjsw, model.pbsw, argSide, logSide)
            if gateSide > 0 {
                let argGate = 1 - v / model.pbswg
                part(gateSide, model.mjswg, model.pbswg, argGate,
                     model.pbswg == model.pbsw ? logSide : Glibc.log(argGate))
            }
            return (q, c)
        }
        let t0 = bottom + side + gateSide
        var sum = 0.0
        sum = sum + bottom * model.mj / model.pb
        sum = sum + side * model.mjsw / model.pbsw
        sum = sum + gateSide * model.mjswg / model.pbswg
        let t1 = v * sum
        return (v * (t0 + 0.5 * t1), t0 + t1)
    }

    /// Stores this point's gate, drain and bulk charges and, while integrating, stamps their companion
    /// models (ag0·C into the matrix, the Norton remainder into the right-hand side).
    func loadCharges(_ context: inout LoadContext, _ t: IntegrationStep, _ channel: BSIMLiteChannel) {
        let tc = terminalCharges(channel)
        let m = self.m
        let now = t.present, k = chargeState
        now[k] = m * tc.q.0; now[k + 2] = m * tc.q.1; now[k + 4] = m * tc.q.3
        guard t.integrating else { stamp.charged = false; return }
        let ig = t.integrate(k), id = t.integrate(k + 2), ib = t.integrate(k + 4)
        let current = SIMD4<Double>(ig, id, -(ig + id + ib), ib)
        let v = SIMD4<Double>(vgs, vds, 0, vbs)
        let ag0 = t.ag0 * m
        stamp.charged = true; stamp.time = t.time; stamp.ag0 = t.ag0; stamp.c = tc.c
        stamp.q = SIMD4<Double>(now[k], now[k + 2], now[k + 4], 0)
        stamp.v = SIMD4<Double>(vgs, vds, vbs, 0)
        stamp.cdrain = cdrain; stamp.cbs = cbs; stamp.cbd = cbd
        @inline(__always) func row(_ i: Int) {
            var linear = 0.0
            for j in 0..<4 {
                let g = ag0 * tc.c[4 * i + j]
                stamp.g[4 * i + j] = g
                linear += g * v[j]
            }
            stamp.rhs[i] = -type * (current[i] - linear)
        }
        row(0); row(1); row(2); row(3)
        addCharges(&context)
    }

    /// Adds the charges' companion models kept in `stamp`.
    @inline(__always)
    func addCharges(_ context: inout LoadContext) {
        @inline(__always) func row(_ i: Int, _ node: Unknown,
                                   _ s0: MatrixSlot, _ s1: MatrixSlot, _ s2: MatrixSlot, _ s3: MatrixSlot) {
            context.add(stamp.g[4 * i], at: s0); context.add(stamp.g[4 * i + 1], at: s1)
            context.add(stamp.g[4 * i + 2], at: s2); context.add(stamp.g[4 * i + 3], at: s3)
            context.source(stamp.rhs[i], at: node)
        }
        row(0, gate, s.gg, s.gdp, s.gsp, s.gb)
        row(1, drainPrime, s.dpg, s.dpdp, s.dpsp, s.dpb)
        row(2, sourcePrime, s.spg, s.spdp, s.spsp, s.spb)
        row(3, bulk, s.bg, s.bdp, s.bsp, s.bb)
    }

    /// SPICE's device bypass, made first-order: in a later Newton iteration of the same time point, when
    /// every terminal voltage moved by less than reltol·|v| + vntol and the linearized currents by less than
    /// reltol·|i| + abstol since the last evaluation, the device re-adds that evaluation's stamp (the
    /// linear system is then the one just solved) and moves its stored currents and charges along their
    /// derivatives to the new voltages instead of evaluating the model again. Returns whether it did.
    func bypass(_ context: inout LoadContext, _ t: IntegrationStep, vbs: Double, vgs: Double, vds: Double) -> Bool {
        guard stamp.charged, t.integrating, t.time == stamp.time, t.ag0 == stamp.ag0, (vds >= 0) == (mode > 0) else {
            return false
        }
        let reltol = context.reltol, vntol = context.vntol, abstol = context.abstol
        // Differences from the evaluated point (not from an earlier bypassed one).
        let vgs0 = stamp.v[0], vds0 = stamp.v[1], vbs0 = stamp.v[2], vbd0 = vbs0 - vds0
        let vbd = vbs - vds, vgd = vgs - vds
        let delvbs = vbs - vbs0, delvbd = vbd - vbd0, delvgs = vgs - vgs0, delvds = vds - vds0
        let delvgd = vgd - (vgs0 - vds0)
        @inline(__always) func still(_ dv: Double, _ new: Double, _ old: Double) -> Bool {
            abs(dv) < reltol * max(abs(new), abs(old)) + vntol
        }
        guard still(delvbs, vbs, vbs0), still(delvbd, vbd, vbd0), still(delvgs, vgs, vgs0),
              still(delvds, vds, vds0) else { return false }
        let forward = mode > 0
        let cbs0 = stamp.cbs, cbd0 = stamp.cbd, cdrain0 = stamp.cdrain
        let cd0 = mode * cdrain0 - cbd0
        let cdhat = forward
            ? cd0 - gbd * delvbd + gmbs * delvbs + gm * delvgs + gds * delvds
            : cd0 - (gbd - gmbs) * delvbd - gm * delvgd + gds * delvds
        let cbhat = cbs0 + cbd0 + gbd * delvbd + gbs * delvbs
        guard abs(cdhat - cd0) * m < reltol * max(abs(cdhat), abs(cd0)) * m + abstol,
              abs(cbhat - (cbs0 + cbd0)) * m < reltol * max(abs(cbhat), abs(cbs0 + cbd0)) * m + abstol else {
            return false
        }

        // The stored state follows the linearization to the new voltages.
        cdrain = cdrain0 + (forward ? gm * delvgs + gds * delvds + gmbs * delvbs : gm * delvgd - gds * delvds + gmbs * delvbd)
        cbs = cbs0 + gbs * delvbs
        cbd = cbd0 + gbd * delvbd
        cd = mode * cdrain - cbd
        let now = t.present, k = chargeState
        @inline(__always) func dq(_ i: Int) -> Double {
            stamp.c[4 * i] * delvgs + stamp.c[4 * i + 1] * delvds + stamp.c[4 * i + 3] * delvbs
        }
        now[k] = stamp.q[0] + m * dq(0); now[k + 2] = stamp.q[1] + m * dq(1); now[k + 4] = stamp.q[2] + m * dq(3)
        _ = t.integrate(k); _ = t.integrate(k + 2); _ = t.integrate(k + 4)
        self.vbs = vbs; self.vgs = vgs; self.vds = vds; self.vbd = vbd

        addCharges(&context)
        context.source(-(stamp.ceqbs + stamp.ceqbd), at: bulk)
        context.source(stamp.ceqbd - stamp.cdreq, at: drainPrime)
        context.source(stamp.cdreq + stamp.ceqbs, at: sourcePrime)
        s.stampConductances(&context, gdr: drainConductance, gsr: sourceConductance, gm: stamp.gm, gds: stamp.gds,
                            gmbs: stamp.gmbs, gbd: stamp.gbd, gbs: stamp.gbs, forward: stamp.forward)
        return true
    }
}

/// What one transient load of a BSIM-lite instance added to the system (scaled by M, circuit polarity),
/// kept so a bypassed iteration can add it again.
struct BSIMLiteStamp {
    var ceqbs = 0.0, ceqbd = 0.0, cdreq = 0.0
    var gm = 0.0, gds = 0.0, gmbs = 0.0, gbd = 0.0, gbs = 0.0
    var forward = true
    /// Whether the charge rows below belong to an integrating load at `time` with coefficient `ag0`.
    var charged = false
    var time = 0.0, ag0 = 0.0
    /// ag0·M·∂Q/∂V (gate, drain', source', bulk rows and columns) and the rows' right-hand sides.
    var g = SIMD16<Double>(repeating: 0)
    var rhs = SIMD4<Double>(repeating: 0)
    /// ∂Q/∂V per unit M, which moves the stored charges in a bypassed iteration.
    var c = SIMD16<Double>(repeating: 0)
    /// The evaluated point: device-polarity vgs, vds, vbs; gate, drain and bulk charges (× M); currents.
    var v = SIMD4<Double>(repeating: 0)
    var q = SIMD4<Double>(repeating: 0)
    var cdrain = 0.0, cbs = 0.0, cbd = 0.0
}
