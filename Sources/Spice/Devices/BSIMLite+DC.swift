#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value with its partial derivatives with respect to Vgs, Vds and Vbs: forward-mode differentiation
/// gives BSIM-lite an exact Jacobian without hand-written derivative chains.
struct Dual {
    var v: Double, g: Double, d: Double, b: Double

    @inline(__always) init(_ v: Double, g: Double = 0, d: Double = 0, b: Double = 0) {
        self.v = v; self.g = g; self.d = d; self.b = b
    }
    /// The same derivatives with another value (ngspice clamps some values and keeps their slopes).
    @inline(__always) func with(value: Double) -> Dual { Dual(value, g: g, d: d, b: b) }
    @inline(__always) func scaled(_ k: Double) -> Dual { Dual(v * k, g: g * k, d: d * k, b: b * k) }
    @inline(__always) func chain(_ f: Double, _ df: Double) -> Dual { Dual(f, g: g * df, d: d * df, b: b * df) }

    @inline(__always) static func + (x: Dual, y: Dual) -> Dual { Dual(x.v + y.v, g: x.g + y.g, d: x.d + y.d, b: x.b + y.b) }
    @inline(__always) static func - (x: Dual, y: Dual) -> Dual { Dual(x.v - y.v, g: x.g - y.g, d: x.d - y.d, b: x.b - y.b) }
    @inline(__always) static prefix func - (x: Dual) -> Dual { Dual(-x.v, g: -x.g, d: -x.d, b: -x.b) }
    @inline(__always) static func * (x: Dual, y: Dual) -> Dual {
        Dual(x.v * y.v, g: x.g * y.v + x.v * y.g, d: x.d * y.v + x.v * y.d, b: x.b * y.v + x.v * y.b)
    }
    @inline(__always) static func / (x: Dual, y: Dual) -> Dual {
        let q = x.v / y.v, r = 1 / y.v
        return Dual(q, g: (x.g - q * y.g) * r, d: (x.d - q * y.d) * r, b: (x.b - q * y.b) * r)
    }
    @inline(__always) static func + (x: Dual, k: Double) -> Dual { Dual(x.v + k, g: x.g, d: x.d, b: x.b) }
    @inline(__always) static func + (k: Double, x: Dual) -> Dual { Dual(x.v + k, g: x.g, d: x.d, b: x.b) }
    @inline(__always) static func - (x: Dual, k: Double) -> Dual { Dual(x.v - k, g: x.g, d: x.d, b: x.b) }
    @inline(__always) static func - (k: Double, x: Dual) -> Dual { Dual(k - x.v, g: -x.g, d: -x.d, b: -x.b) }
    @inline(__always) static func * (x: Dual, k: Double) -> Dual { x.scaled(k) }
    @inline(__always) static func * (k: Double, x: Dual) -> Dual { x.scaled(k) }
    @inline(__always) static func / (x: Dual, k: Double) -> Dual { x.scaled(1 / k) }
    @inline(__always) static func / (k: Double, x: Dual) -> Dual {
        let q = k / x.v
        return x.chain(q, -q / x.v)
    }
}

@inline(__always) func sqrt(_ x: Dual) -> Dual { let r = x.v.squareRoot(); return x.chain(r, 0.5 / r) }
@inline(__always) func exp(_ x: Dual) -> Dual { let e = Glibc.exp(x.v); return x.chain(e, e) }
@inline(__always) func log(_ x: Dual) -> Dual { x.chain(Glibc.log(x.v), 1 / x.v) }

/// What one BSIM-lite DC evaluation yields in the device's own frame (source and drain already swapped
/// for Vds < 0): the channel current with its derivatives and the intermediate quantities the charge
/// model and the operating-point report reuse.
struct BSIMLiteChannel {
    var ids: Dual
    var vth: Dual
    var vdsat: Dual
    var vgsteff: Dual
    var vbseff: Dual
    var abulk0: Dual
    /// The bulk-charge factor Abulk with KETA, and without it: ngspice's unified flicker noise reads both
    /// (Abulk/Vgst2Vtm with, the stored `BSIM3Abulk` without).
    var abulk: Dual
    var abulkBeforeKeta: Double
    var sqrtPhis: Dual
    var phis: Dual
    var ueff: Dual
    var vdseff: Dual
    var rds: Double
    /// Vgs − Vth and the subthreshold swing factor, which the charge model's own Vgsteff reuses.
    var vgst: Dual
    var n: Dual
}

extension BSIMLiteModel {
    /// The channel current of one instance size (see `BSIMLiteSize.channel`).
    func channel(_ s: BSIMLiteSize, vgs: Double, vds: Double, vbs: Double) -> BSIMLiteChannel {
        s.channel(vgs: vgs, vds: vds, vbs: vbs)
    }
}

extension BSIMLiteSize {
    /// The channel current of BSIM3v3.3 (mobmod=1, no poly depletion, no substrate current) at
    /// forward-mode voltages `vgs`, `vds` ≥ 0, `vbs`, following the manual's equations as ngspice 39
    /// evaluates them, including its smoothing of discontinuities and its value-only clamps.
    ///
    /// A method of the size (not of the model card) so the device's load reads its parameters in place:
    /// passing the ~700-byte size or the card by value cost a copy per evaluation.
    func channel(vgs vgsValue: Double, vds vdsValue: Double, vbs vbsValue: Double) -> BSIMLiteChannel {
        let expThreshold = BSIMConstant.expThreshold
        let vgs = Dual(vgsValue, g: 1), vds = Dual(vdsValue, d: 1), vbs = Dual(vbsValue, b: 1)
        let leff = self.leff, vtm = self.vtm

        // Effective body bias: smooth clamp at VBSC.
        let t0vb = vbs - self.vbsc - 0.001
        let t1vb = sqrt(t0vb * t0vb - 0.004 * self.vbsc)
        var vbseff = self.vbsc + 0.5 * (t0vb + t1vb)
        // ngspice keeps the smooth function's slope when it clamps the value to Vbs.
        if vbseff.v < vbs.v { vbseff = vbseff.with(value: vbs.v) }

        let phis: Dual, sqrtPhis: Dual
        if vbseff.v > 0 {
            phis = self.phi * (self.phi / (self.phi + vbseff))
            sqrtPhis = self.phis3 / (self.phi + 0.5 * vbseff)
        } else {
            phis = self.phi - vbseff
            sqrtPhis = sqrt(phis)
        }
        let xdep = sqrtPhis * (self.xdep0 / self.sqrtPhi)

        // Threshold voltage: short-channel (DVT0-2), narrow-width (DVT0W-2W), body effect, DIBL.
        let sqrtXdep = sqrt(xdep)
        let v0 = self.vbi - self.phi
        func dvtFactor(_ dvt2: Double) -> Dual {
            let t = vbseff * dvt2
            if t.v >= -0.5 { return 1 + t }
            return (1 + 3 * t) / (3 + 8 * t)
        }
        let lt1 = self.factor1 * sqrtXdep * dvtFactor(self.dvt2)
        func thetaExp(_ arg: Dual) -> Dual {
            if arg.v > -expThreshold {
                let e = exp(arg)
                return e * (1 + 2 * e)
            }
            let e = BSIMConstant.minExp
            return Dual(e * (1 + 2 * e))
        }
        let theta0 = thetaExp(-0.5 * self.dvt1 * leff / lt1)
        let deltVth = self.dvt0 * theta0 * v0
        // The narrow-width term is skipped when DVT0W = 0 (the default): it is exactly zero then.
        var deltVthW = Dual(0)
        if self.dvt0w != 0 {
            let ltw = self.factor1 * sqrtXdep * dvtFactor(self.dvt2w)
            deltVthW = self.dvt0w * thetaExp(-0.5 * self.dvt1w * self.weff * leff / ltw) * v0
        }
        let lateral = self.k1ox * ((1 + self.nlx / leff).squareRoot() - 1) * self.sqrtPhi
            + (self.kt1 + self.kt1l / leff + self.kt2 * vbseff) * self.tempRatio
        let narrowK3 = tox * self.phi / (self.weff + self.w0)
        var eta = self.eta0 + self.etab * vbseff
        if eta.v < 1e-4 { eta = (2e-4 - eta) / (3 - 2e4 * eta) }
        let diblShift = eta * self.theta0vb0 * vds
        let vth = type * self.vth0 - self.k1 * self.sqrtPhi + self.k1ox * sqrtPhis - self.k2ox * vbseff - deltVth - deltVthW
            + (self.k3 + self.k3b * vbseff) * narrowK3 + lateral - diblShift

        // Subthreshold swing factor n.
        let nTerm = self.nfactor * BSIMConstant.epsSi / xdep
        let cdscTerm = self.cdsc + self.cdscb * vbseff + self.cdscd * vds
        let tmp4 = (nTerm + cdscTerm * theta0 + self.cit) / cox
        let n = tmp4.v >= -0.5 ? 1 + tmp4 : (1 + 3 * tmp4) / (3 + 8 * tmp4)

        // Effective Vgs − Vth, smooth from subthreshold to strong inversion.
        let vgst = vgs - vth
        let t10 = 2 * n * vtm
        let vgstNVt = vgst / t10
        let expArg = (2 * self.voff - vgst) / t10
        let vgsteff: Dual
        if vgstNVt.v > expThreshold {
            vgsteff = vgst
        } else if expArg.v > expThreshold {
            let t = (vgst - self.voff) / (n * vtm)
            vgsteff = exp(t) * (vtm * self.cdep0 / cox)
        } else {
            let e = exp(vgstNVt)
            let t1 = t10 * log(1 + e)
            let t2 = 1 + t10 * exp(expArg) * (cox / (vtm * self.cdep0))
            vgsteff = t1 / t2
        }

        // Series resistance (RDSW with PRWG, PRWB).
        let t9 = sqrtPhis - self.sqrtPhi
        let weff = self.weff
        let prw = self.prwg * vgsteff + self.prwb * t9
        let rds = prw.v >= -0.9 ? self.rds0 * (1 + prw) : self.rds0 * (0.8 + prw) / (17 + 20 * prw)

        // Bulk charge factor Abulk.
        let t1a = 0.5 * self.k1ox / sqrtPhis
        let t9a = sqrt(self.xj * xdep)
        let t5a = leff / (leff + 2 * t9a)
        let t2a = self.a0 * t5a + self.b0 / (self.weff + self.b1)
        var abulk0 = 1 + t1a * t2a
        var abulk = abulk0 - t1a * (self.ags * self.a0 * t5a * t5a * t5a) * vgsteff
        if abulk0.v < 0.1 { abulk0 = (0.2 - abulk0) / (3 - 20 * abulk0) }
        if abulk.v < 0.1 { abulk = (0.2 - abulk) / (3 - 20 * abulk) }
        let kv = self.keta * vbseff
        let ketaFactor = kv.v >= -0.9 ? 1 / (1 + kv) : (17 + 20 * kv) / (0.8 + kv)
        let abulkBeforeKeta = abulk.v
        abulk = abulk * ketaFactor
        abulk0 = abulk0 * ketaFactor

        // Mobility, mobmod=1.
        let t0m = vgsteff + vth + vth
        let t3m = t0m / tox
        let t5m = t3m * (self.ua + self.uc * vbseff + self.ub * t3m)
        let denomi = t5m.v >= -0.8 ? 1 + t5m : (0.6 + t5m) / (7 + 10 * t5m)
        let ueff = self.u0temp / denomi

        // Saturation voltage Vdsat.
        let wvCox = weff * self.vsattemp * cox
        let esatL = 2 * self.vsattemp / ueff * leff
        let lambda: Dual
        if self.a1 == 0 {
            lambda = Dual(self.a2)
        } else if self.a1 > 0 {
            let t0 = 1 - self.a2
            let t1 = t0 - self.a1 * vgsteff - 0.0001
            lambda = self.a2 + t0 - 0.5 * (t1 + sqrt(t1 * t1 + 0.0004 * t0))
        } else {
            let t1 = self.a2 + self.a1 * vgsteff - 0.0001
            lambda = 0.5 * (t1 + sqrt(t1 * t1 + 0.0004 * self.a2))
        }
        let vgst2Vtm = vgsteff + 2 * vtm
        let vdsat: Dual
        if rds.v == 0 && lambda.v == 1 {
            vdsat = esatL * vgst2Vtm / (abulk * esatL + vgst2Vtm)
        } else {
            let wvCoxRds = wvCox * rds
            let t9 = abulk * wvCoxRds
            let t0 = 2 * abulk * (t9 - 1 + 1 / lambda)
            let t1 = vgst2Vtm * (2 / lambda - 1) + abulk * esatL + 3 * vgst2Vtm * t9
            let t2 = vgst2Vtm * (esatL + 2 * vgst2Vtm * wvCoxRds)
            let t3 = sqrt(t1 * t1 - 2 * t0 * t2)
            vdsat = (t1 - t3) / t0
        }

        // Effective Vds, smooth below Vdsat.
        let t1d = vdsat - vds - self.delta
        let t2d = sqrt(t1d * t1d + 4 * self.delta * vdsat)
        var vdseff = vdsat - 0.5 * (t1d + t2d)
        // ngspice zeroes Vdseff at Vds = 0 exactly, keeping only its Vds slope.
        if vds.v == 0 { vdseff = Dual(0, d: vdseff.d) }

        // Vasat.
        let wvCoxRds = wvCox * rds
        let tmp4a = 1 - 0.5 * abulk * vdsat / vgst2Vtm
        let t9s = wvCoxRds * vgsteff
        let t0s = esatL + vdsat + 2 * t9s * tmp4a
        let t1s = 2 / lambda - 1 + wvCoxRds * abulk
        let vasat = t0s / t1s

        if vdseff.v > vds.v { vdseff = vdseff.with(value: vds.v) }
        let diffVds = vds - vdseff

        // Output resistance: channel-length modulation, DIBL, PVAG, substrate current induced body effect.
        let vaclm: Dual
        if self.pclm > 0 && diffVds.v > 1e-10 {
            let t0 = 1 / (self.pclm * abulk * self.litl)
            let t1 = leff * (abulk + vgsteff / esatL)
            vaclm = t0 * t1 * diffVds
        } else {
            vaclm = Dual(BSIMConstant.maxExp)
        }
        var vadibl: Dual
        if self.thetaRout > 0 {
            let t8 = abulk * vdsat
            let t0 = vgst2Vtm * t8
            let t1 = vgst2Vtm + t8
            vadibl = (vgst2Vtm - t0 / t1) / self.thetaRout
            let t7 = self.pdiblb * vbseff
            vadibl = t7.v >= -0.9 ? vadibl / (1 + t7) : vadibl * ((17 + 20 * t7) / (0.8 + t7))
        } else {
            vadibl = Dual(BSIMConstant.maxExp)
        }
        let t9v = self.pvag / esatL * vgsteff
        let pvagFactor = t9v.v > -0.9 ? 1 + t9v : (0.8 + t9v) / (17 + 20 * t9v)
        let va = vasat + pvagFactor * (vaclm * vadibl / (vaclm + vadibl))

        let vascbe: Dual
        if self.pscbe2 > 0 {
            if diffVds.v > self.pscbe1 * self.litl / expThreshold {
                vascbe = leff * exp(self.pscbe1 * self.litl / diffVds) / self.pscbe2
            } else {
                vascbe = Dual(BSIMConstant.maxExp * leff / self.pscbe2)
            }
        } else {
            vascbe = Dual(BSIMConstant.maxExp)
        }

        // Drain current.
        let beta = ueff * (cox * weff / leff)
        let fgche1 = vgsteff * (1 - 0.5 * abulk * vdseff / vgst2Vtm)
        let fgche2 = 1 + vdseff / esatL
        let gche = beta * fgche1 / fgche2
        let idl = gche * vdseff / (1 + gche * rds)
        let idsa = idl * (1 + diffVds / va)
        let ids = idsa * (1 + diffVds / vascbe)

        return BSIMLiteChannel(ids: ids, vth: vth, vdsat: vdsat, vgsteff: vgsteff, vbseff: vbseff, abulk0: abulk0, abulk: abulk, abulkBeforeKeta: abulkBeforeKeta,
                               sqrtPhis: sqrtPhis, phis: phis, ueff: ueff, vdseff: vdseff, rds: rds.v, vgst: vgst, n: n)
    }
}
