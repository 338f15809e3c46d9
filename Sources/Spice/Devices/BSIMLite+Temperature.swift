#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The BSIM-lite parameters of one instance geometry at the circuit temperature: binned values, effective
/// lengths, process-derived quantities (PHI, Xdep0, K1/K2 from NCH and NSUB when absent) and the
/// temperature-scaled mobility, saturation velocity, series resistance and junction currents
/// (ngspice's `b3temp`).
struct BSIMLiteSize {
    var leff = 0.0, weff = 0.0, leffCV = 0.0, weffCV = 0.0
    var cdsc = 0.0, cdscb = 0.0, cdscd = 0.0, cit = 0.0, nfactor = 0.0, xj = 0.0
    var a0 = 0.0, ags = 0.0, a1 = 0.0, a2 = 0.0, keta = 0.0, npeak = 0.0, nsub = 0.0
    var k1 = 0.0, k2 = 0.0, k1ox = 0.0, k2ox = 0.0, k3 = 0.0, k3b = 0.0, w0 = 0.0, nlx = 0.0
    var kt1 = 0.0, kt1l = 0.0, kt2 = 0.0
    var dvt0 = 0.0, dvt1 = 0.0, dvt2 = 0.0, dvt0w = 0.0, dvt1w = 0.0, dvt2w = 0.0
    var vth0 = 0.0, ua = 0.0, ub = 0.0, uc = 0.0, u0temp = 0.0, vsattemp = 0.0, rds0 = 0.0
    var prwg = 0.0, prwb = 0.0, voff = 0.0, delta = 0.0, eta0 = 0.0, etab = 0.0
    var pclm = 0.0, pdiblb = 0.0, pscbe1 = 0.0, pscbe2 = 0.0, pvag = 0.0, b0 = 0.0, b1 = 0.0
    var vbm = 0.0, vbsc = 0.0, phi = 0.0, sqrtPhi = 0.0, phis3 = 0.0, xdep0 = 0.0, litl = 0.0
    var vbi = 0.0, cdep0 = 0.0, theta0vb0 = 0.0, thetaRout = 0.0, vfb = 0.0, vfbzb = 0.0
    var cgsl = 0.0, cgdl = 0.0, ckappa = 0.0, cf = 0.0, clc = 0.0, cle = 0.0, abulkCVfactor = 0.0
    /// C–V offset and swing (NOFF, VOFFCV); capmod=3's ACDE (scaled by NCH as ngspice does), MOIN and
    /// Debye length.
    var noff = 0.0, voffcv = 0.0, acde = 0.0, moin = 0.0, ldeb = 0.0
    /// Overlap capacitances per instance (F), including the fringing CF.
    var cgsoTotal = 0.0, cgdoTotal = 0.0, cgboTotal = 0.0
    /// Thermal voltage at the circuit temperature, and (T/TNOM − 1).
    var vtm = 0.0, tempRatio = 0.0
    var factor1 = 0.0
    /// Temperature-scaled junction saturation current densities (area, sidewall).
    var jsTemp = 0.0, jswTemp = 0.0
    /// The card's polarity (+1 NMOS, −1 PMOS), oxide thickness, Cox and charge partition, copied here so
    /// the channel and charge evaluations read one flat value.
    var type = 1.0, tox = 0.0, cox = 0.0, xpart = 0.0
    /// The charge model (2 or 3), from the card.
    var capmod = 3
}

extension BSIMLiteModel {
    /// Computes the size- and temperature-dependent parameters of an instance of drawn `l` × `w` at `temp`
    /// kelvin; a non-positive effective length or width is an error naming the instance.
    func sized(l: Double, w: Double, temp: Double, instance: String, location: SourceLocation) throws -> BSIMLiteSize {
        func fail(_ message: String) -> SimulationError {
            SimulationError(.badValue, "MOSFET '\(instance)' (BSIM model '\(name)'): \(message)",
                            subject: instance, location: location)
        }
        var s = BSIMLiteSize()
        s.type = type; s.tox = tox; s.cox = cox; s.xpart = xpart; s.capmod = capmod
        // Only LINT/WINT (and DLC/DWC) shift the lengths: LL, LW, ... are not in the subset.
        s.leff = l - 2 * lint
        s.weff = w - 2 * wint
        s.leffCV = l - 2 * dlc
        s.weffCV = w - 2 * dwc
        guard s.leff > 0 else { throw fail("effective channel length L − 2·LINT = \(s.leff) is not positive") }
        guard s.weff > 0 else { throw fail("effective channel width W − 2·WINT = \(s.weff) is not positive") }
        guard s.leffCV > 0, s.weffCV > 0 else { throw fail("effective C–V length or width (DLC, DWC) is not positive") }
        let invL = 1e-6 / s.leff, invW = 1e-6 / s.weff, invLW = 1e-12 / (s.leff * s.weff)
        func b(_ key: String) -> Double { binned(key, invL, invW, invLW) }

        s.cdsc = b("cdsc"); s.cdscb = b("cdscb"); s.cdscd = b("cdscd"); s.cit = b("cit")
        s.nfactor = b("nfactor"); s.xj = b("xj")
        s.a0 = b("a0"); s.ags = b("ags"); s.a1 = b("a1"); s.a2 = b("a2"); s.keta = b("keta")
        s.nsub = b("nsub"); s.npeak = b("npeak")
        var gamma1 = b("gamma1"), gamma2 = b("gamma2"), vbx = b("vbx")
        s.vbm = b("vbm")
        let xt = b("xt")
        s.k1 = b("k1"); s.k2 = b("k2"); s.k3 = b("k3"); s.k3b = b("k3b"); s.w0 = b("w0"); s.nlx = b("nlx")
        s.kt1 = b("kt1"); s.kt1l = b("kt1l"); s.kt2 = b("kt2")
        s.dvt0 = b("dvt0"); s.dvt1 = b("dvt1"); s.dvt2 = b("dvt2")
        s.dvt0w = b("dvt0w"); s.dvt1w = b("dvt1w"); s.dvt2w = b("dvt2w")
        let drout = b("drout"), dsub = b("dsub")
        s.vth0 = b("vth0")
        s.ua = b("ua"); s.ub = b("ub"); s.uc = b("uc")
        let ua1 = b("ua1"), ub1 = b("ub1"), uc1 = b("uc1")
        var u0 = b("u0")
        let ute = b("ute"), vsat = b("vsat"), at = b("at"), rdsw = b("rdsw"), prt = b("prt"), wr = b("wr")
        s.prwg = b("prwg"); s.prwb = b("prwb"); s.voff = b("voff"); s.delta = b("delta")
        s.eta0 = b("eta0"); s.etab = b("etab"); s.pclm = b("pclm")
        let pdibl1 = b("pdibl1"), pdibl2 = b("pdibl2")
        s.pdiblb = b("pdiblb"); s.pscbe1 = b("pscbe1"); s.pscbe2 = b("pscbe2"); s.pvag = b("pvag")
        s.b0 = b("b0"); s.b1 = b("b1")
        s.cgsl = b("cgsl"); s.cgdl = b("cgdl"); s.ckappa = b("ckappa"); s.cf = b("cf"); s.clc = b("clc"); s.cle = b("cle")
        s.noff = b("noff"); s.voffcv = b("voffcv"); s.acde = b("acde"); s.moin = b("moin")
        var vfb = b("vfb")

        // A negative CLC (e.g. a binned card extrapolated far past its bins) makes AbulkCV NaN and every charge
        // with it; ngspice prints NaN results there, we stop with the instance and the value instead.
        guard s.clc >= 0 else { throw fail("CLC = \(s.clc) is negative at this L and W, so AbulkCV is undefined") }
        s.abulkCVfactor = 1 + pow(s.clc / s.leffCV, s.cle)

        // Temperature (ngspice's b3temp).
        let vtm0 = BSIMConstant.kOverQ * tnom
        let eg0 = 1.16 - 7.02e-4 * tnom * tnom / (tnom + 1108)
        let ni = 1.45e10 * (tnom / 300.15) * (tnom / 300.15).squareRoot() * exp(21.5565981 - eg0 / (2 * vtm0))
        s.vtm = BSIMConstant.kOverQ * temp
        let eg = 1.16 - 7.02e-4 * temp * temp / (temp + 1108)
        let tRatio = temp / tnom
        s.tempRatio = tRatio - 1
        if temp != tnom {
            let t0 = eg0 / vtm0 - eg / s.vtm + xti * log(temp / tnom)
            let t1 = exp(t0 / nj)
            s.jsTemp = js * t1; s.jswTemp = jsw * t1
        } else {
            s.jsTemp = js; s.jswTemp = jsw
        }
        s.jsTemp = max(0, s.jsTemp); s.jswTemp = max(0, s.jswTemp)
        s.factor1 = (BSIMConstant.epsSi / BSIMConstant.epsOx * tox).squareRoot()

        let t0 = tRatio - 1
        s.ua += ua1 * t0; s.ub += ub1 * t0; s.uc += uc1 * t0
        if u0 > 1 { u0 /= 1e4 }
        s.u0temp = u0 * pow(tRatio, ute)
        s.vsattemp = vsat - at * t0
        guard s.vsattemp > 0 else { throw fail("VSAT at this temperature = \(s.vsattemp) is not positive") }
        s.rds0 = (rdsw + prt * t0) / pow(s.weff * 1e6, wr)

        s.cgdoTotal = (cgdo + s.cf) * s.weffCV
        s.cgsoTotal = (cgso + s.cf) * s.weffCV
        s.cgboTotal = cgbo * s.leffCV

        if !given.contains("npeak") && given.contains("gamma1") {
            let g = gamma1 * cox
            s.npeak = 3.021e22 * g * g
        }
        guard s.npeak > 0, s.nsub > 0 else { throw fail("NCH and NSUB must be positive") }
        s.phi = 2 * vtm0 * log(s.npeak / ni)
        guard s.phi > 0 else { throw fail("NCH = \(s.npeak) gives a non-positive surface potential") }
        s.sqrtPhi = s.phi.squareRoot()
        s.phis3 = s.sqrtPhi * s.phi
        s.xdep0 = (2 * BSIMConstant.epsSi / (BSIMConstant.charge * s.npeak * 1e6)).squareRoot() * s.sqrtPhi
        s.litl = (3 * s.xj * tox).squareRoot()
        s.vbi = vtm0 * log(1e20 * s.npeak / (ni * ni))
        s.cdep0 = (BSIMConstant.charge * BSIMConstant.epsSi * s.npeak * 1e6 / 2 / s.phi).squareRoot()
        s.ldeb = (BSIMConstant.epsSi * vtm0 / (BSIMConstant.charge * s.npeak * 1e6)).squareRoot() / 3
        s.acde *= pow(s.npeak / 2e16, -0.25)

        if given.contains("k1") || given.contains("k2") {
            if !given.contains("k1") { s.k1 = 0.53 }
            if !given.contains("k2") { s.k2 = -0.0186 }
        } else {
            // Process-derived body-effect coefficients (manual §2, ngspice b3temp).
            if !given.contains("vbx") { vbx = s.phi - 7.7348e-4 * s.npeak * xt * xt }
            if vbx > 0 { vbx = -vbx }
            if s.vbm > 0 { s.vbm = -s.vbm }
            if !given.contains("gamma1") { gamma1 = 5.753e-12 * s.npeak.squareRoot() / cox }
            if !given.contains("gamma2") { gamma2 = 5.753e-12 * s.nsub.squareRoot() / cox }
            let a = gamma1 - gamma2
            let b1 = (s.phi - vbx).squareRoot() - s.sqrtPhi
            let b2 = (s.phi * (s.phi - s.vbm)).squareRoot() - s.phi
            s.k2 = a * b1 / (2 * b2 + s.vbm)
            s.k1 = gamma2 - 2 * s.k2 * (s.phi - s.vbm).squareRoot()
        }
        if s.k2 < 0 {
            let h = 0.5 * s.k1 / s.k2
            s.vbsc = min(-3, max(-30, 0.9 * (s.phi - h * h)))
        } else {
            s.vbsc = -30
        }
        if s.vbsc > s.vbm { s.vbsc = s.vbm }

        if !given.contains("vfb") {
            vfb = given.contains("vth0") ? type * s.vth0 - s.phi - s.k1 * s.sqrtPhi : -1
        }
        if !given.contains("vth0") { s.vth0 = type * (vfb + s.phi + s.k1 * s.sqrtPhi) }
        s.vfb = vfb
        s.k1ox = s.k1 * tox / toxm
        s.k2ox = s.k2 * tox / toxm

        let lt = (BSIMConstant.epsSi / BSIMConstant.epsOx * tox * s.xdep0).squareRoot()
        var e = exp(-0.5 * dsub * s.leff / lt)
        s.theta0vb0 = e + 2 * e * e
        e = exp(-0.5 * drout * s.leff / lt)
        s.thetaRout = pdibl1 * (e + 2 * e * e) + pdibl2

        // VFBZB: the zero-bias flat band the capmod=2 charge model uses.
        let lt0 = s.factor1 * s.xdep0.squareRoot()
        let v0 = s.vbi - s.phi
        func theta(_ arg: Double) -> Double {
            let x = arg > -BSIMConstant.expThreshold ? exp(arg) : BSIMConstant.minExp
            return x * (1 + 2 * x)
        }
        let narrow = s.dvt0w * theta(-0.5 * s.dvt1w * s.weff * s.leff / lt0) * v0
        let short = s.dvt0 * theta(-0.5 * s.dvt1 * s.leff / lt0) * v0
        let t4 = tox * s.phi / (s.weff + s.w0)
        let t5 = s.k1ox * ((1 + s.nlx / s.leff).squareRoot() - 1) * s.sqrtPhi + (s.kt1 + s.kt1l / s.leff) * (tRatio - 1)
        s.vfbzb = type * s.vth0 - narrow - short + s.k3 * t4 + t5 - s.phi - s.k1 * s.sqrtPhi
        return s
    }
}
