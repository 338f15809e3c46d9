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

    /// The charges at the present device-polarity voltages (vgs, vds, vbs of the last evaluation).
    func terminalCharges() -> TerminalCharges {
        var r = TerminalCharges()
        let forward = mode > 0
        let ch = channel ?? (forward ? model.channel(size, vgs: vgs, vds: vds, vbs: vbs)
                                     : model.channel(size, vgs: vgs - vds, vds: -vds, vbs: vbd))
        let q = forward ? model.charges(size, ch, vgs: vgs, vds: vds) : model.charges(size, ch, vgs: vgs - vds, vds: -vds)
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
        // Overlaps (capmod=2): the integral of the smooth CGDL/CGSL bias dependence, plus CGBO.
        func overlap(_ v: Double, constant: Double, lightlyDoped: Double) -> (q: Double, c: Double) {
            let delta1 = 0.02
            let t0 = v + delta1
            let t1 = (t0 * t0 + 4 * delta1).squareRoot()
            let t2 = 0.5 * (t0 - t1)
            let t3 = size.weffCV * lightlyDoped
            let t4 = (1 - 4 * t2 / size.ckappa).squareRoot()
            let c = constant + t3 - t3 * (1 - 1 / t4) * (0.5 - 0.5 * t0 / t1)
            return ((constant + t3) * v - t3 * (t2 + 0.5 * size.ckappa * (t4 - 1)), c)
        }
        let vgd = vgs - vds, vgb = vgs - vbs
        let gdo = overlap(vgd, constant: size.cgdoTotal, lightlyDoped: size.cgdl)
        let gso = overlap(vgs, constant: size.cgsoTotal, lightlyDoped: size.cgsl)
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

    /// One bulk junction's depletion charge and capacitance at `v` (BSIM3's three-part junction).
    func junctionCharge(_ v: Double, area: Double, perimeter: Double) -> (q: Double, c: Double) {
        let bottom = model.cj * area
        let (side, gateSide) = perimeter < size.weff
            ? (0.0, model.cjswg * perimeter)
            : (model.cjsw * (perimeter - size.weff), model.cjswg * size.weff)
        if v == 0 { return (0, bottom + side + gateSide) }
        if v < 0 {
            var q = 0.0, c = 0.0
            @inline(__always) func part(_ cz: Double, _ m: Double, _ pb: Double) {
                guard cz > 0 else { return }
                let arg = 1 - v / pb
                let sarg = Glibc.exp(-m * Glibc.log(arg))
                q += pb * cz * (1 - arg * sarg) / (1 - m)
                c += cz * sarg
            }
            part(bottom, model.mj, model.pb); part(side, model.mjsw, model.pbsw); part(gateSide, model.mjswg, model.pbswg)
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
    func loadCharges(_ context: inout LoadContext, _ t: IntegrationStep) {
        let tc = terminalCharges()
        let m = self.m
        let now = t.present, k = chargeState
        now[k] = m * tc.q.0; now[k + 2] = m * tc.q.1; now[k + 4] = m * tc.q.3
        guard t.integrating else { return }
        let ig = t.integrate(k), id = t.integrate(k + 2), ib = t.integrate(k + 4)
        let current = SIMD4<Double>(ig, id, -(ig + id + ib), ib)
        let v = SIMD4<Double>(vgs, vds, 0, vbs)
        let ag0 = t.ag0 * m
        @inline(__always) func row(_ i: Int, _ node: Unknown,
                                   _ s0: MatrixSlot, _ s1: MatrixSlot, _ s2: MatrixSlot, _ s3: MatrixSlot) {
            var linear = 0.0
            let g0 = ag0 * tc.c[4 * i]; context.add(g0, at: s0); linear += g0 * v[0]
            let g1 = ag0 * tc.c[4 * i + 1]; context.add(g1, at: s1); linear += g1 * v[1]
            let g2 = ag0 * tc.c[4 * i + 2]; context.add(g2, at: s2); linear += g2 * v[2]
            let g3 = ag0 * tc.c[4 * i + 3]; context.add(g3, at: s3); linear += g3 * v[3]
            context.source(-type * (current[i] - linear), at: node)
        }
        row(0, gate, s.gg, s.gdp, s.gsp, s.gb)
        row(1, drainPrime, s.dpg, s.dpdp, s.dpsp, s.dpb)
        row(2, sourcePrime, s.spg, s.spdp, s.spsp, s.spb)
        row(3, bulk, s.bg, s.bdp, s.bsp, s.bb)
    }
}
