#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Newton step limiting shared by the semiconductor devices, with ngspice's rules.
enum Limiting {
    /// Limits a pn-junction voltage step (ngspice's DEVpnjlim, including limiting of large negative
    /// steps); `limited` is set when the voltage was changed.
    @inline(__always)
    static func junction(_ vnew: Double, old vold: Double, vt: Double, vcrit: Double, limited: inout Bool) -> Double {
        if vnew > vcrit && abs(vnew - vold) > vt + vt {
            limited = true
            if vold > 0 {
                let arg = (vnew - vold) / vt
                return arg > 0 ? vold + vt * (2 + log(arg - 2)) : vold - vt * (2 + log(2 - arg))
            }
            return vt * log(vnew / vt)
        }
        if vnew < 0 {
            let arg = vold > 0 ? -vold - 1 : 2 * vold - 1
            if vnew < arg { limited = true; return arg }
        }
        return vnew
    }

    /// Limits a FET gate voltage step around the threshold (ngspice's DEVfetlim).
    @inline(__always)
    static func fet(_ vnew: Double, old vold: Double, threshold vto: Double) -> Double {
        var vnew = vnew
        let vtsthi = abs(2 * (vold - vto)) + 2
        let vtstlo = abs(vold - vto) + 1
        let vtox = vto + 3.5
        let delv = vnew - vold
        if vold >= vto {
            if vold >= vtox {
                if delv <= 0 {
                    if vnew >= vtox {
                        if -delv > vtstlo { vnew = vold - vtstlo }
                    } else {
                        vnew = max(vnew, vto + 2)
                    }
                } else if delv >= vtsthi {
                    vnew = vold + vtsthi
                }
            } else {
                vnew = delv <= 0 ? max(vnew, vto - 0.5) : min(vnew, vto + 4)
            }
        } else {
            if delv <= 0 {
                if -delv > vtsthi { vnew = vold - vtsthi }
            } else {
                let vtemp = vto + 0.5
                if vnew <= vtemp {
                    if delv > vtstlo { vnew = vold + vtstlo }
                } else {
                    vnew = vtemp
                }
            }
        }
        return vnew
    }

    /// Limits a drain–source voltage step (ngspice's DEVlimvds).
    @inline(__always)
    static func drainSource(_ vnew: Double, old vold: Double) -> Double {
        if vold >= 3.5 {
            if vnew > vold { return min(vnew, 3 * vold + 2) }
            return vnew < 3.5 ? max(vnew, 2) : vnew
        }
        return vnew > vold ? min(vnew, 4) : max(vnew, -0.5)
    }

    /// ngspice's MOSFET step limiting, shared by level 1 and BSIM-lite: limits vgs (or vgd when the device
    /// runs reversed) around the threshold, then vds, then the forward-going bulk junction.
    static func mosfet(vgs: inout Double, vds: inout Double, vbs: inout Double,
                       oldVgs: Double, oldVds: Double, oldVbs: Double, oldVbd: Double, threshold: Double,
                       vt: Double, sourceVcrit: Double, drainVcrit: Double, limited: inout Bool) {
        var vgd = vgs - vds
        if oldVds >= 0 {
            vgs = fet(vgs, old: oldVgs, threshold: threshold)
            vds = vgs - vgd
            vds = drainSource(vds, old: oldVds)
            vgd = vgs - vds
        } else {
            vgd = fet(vgd, old: oldVgs - oldVds, threshold: threshold)
            vds = vgs - vgd
            vds = -drainSource(-vds, old: -oldVds)
            vgs = vgd + vds
        }
        if vds >= 0 {
            vbs = junction(vbs, old: oldVbs, vt: vt, vcrit: sourceVcrit, limited: &limited)
        } else {
            vbs = junction(vbs - vds, old: oldVbd, vt: vt, vcrit: drainVcrit, limited: &limited) + vds
        }
    }
}

/// Silicon band-gap and junction-potential temperature helpers (the ones ngspice's diode and MOS1
/// temperature updates share).
enum Silicon {
    static let referenceTemperature = 300.15
    /// Band gap in eV at `t` kelvin.
    static func gap(_ t: Double) -> Double { 1.16 - (7.02e-4 * t * t) / (t + 1108) }
    /// The temperature term ngspice calls `pbfact`.
    static func potentialFactor(_ t: Double) -> Double {
        let vt = Physics.kOverQ * t
        let arg = -gap(t) / (2 * Physics.boltzmann * t) + 1.1150877 / (Physics.boltzmann * 2 * referenceTemperature)
        return -2 * vt * (1.5 * log(t / referenceTemperature) + Physics.charge * arg)
    }
}
