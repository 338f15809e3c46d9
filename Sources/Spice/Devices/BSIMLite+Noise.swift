#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Drain-current noise spectral densities of a BSIM-lite instance (A²/Hz), noimod=1 or 3.
public struct BSIMNoiseDensities: Sendable, Equatable {
    /// Channel thermal noise, 4kT · (2/3)·|gm + gds + gmbs| · M (the SPICE2 form noimod=1 and 3 use).
    public var thermal: Double
    /// Flicker noise: noimod=1 M · KF · |Id|^AF / (f^EF · Leff² · Cox); noimod=3 BSIM3's unified model
    /// (`BSIMUnifiedFlicker`).
    public var flicker: Double
    /// Thermal noise of the RSH drain and source series resistances, 4kT·G each.
    public var drainResistor: Double
    public var sourceResistor: Double
    public var total: Double { thermal + flicker + drainResistor + sourceResistor }
}

/// BSIM3v3.3's unified flicker noise (noimod=2, 3; ngspice 39's `b3noi`) at one operating point and
/// frequency, as the parts that multiply the oxide-trap densities: the strong-inversion density is
/// Ssi = NOIA·sa + NOIB·sb + NOIC·sc and the weak-inversion one Swi = NOIA·wa (A²/Hz); the flicker density is
/// their harmonic combination Ssi·Swi/(Ssi + Swi) (the smoothed model: no switch at Von).
///
/// Kept apart from the densities so the PDK fit can evaluate the model for many (NOIA, NOIB, NOIC) at the
/// cost of one device evaluation.
public struct BSIMUnifiedFlicker: Sendable, Equatable {
    public var sa: Double, sb: Double, sc: Double, wa: Double

    /// The flicker density (A²/Hz, per unit M) for the given oxide-trap densities.
    public func density(noia: Double, noib: Double, noic: Double) -> Double {
        let ssi = noia * sa + noib * sb + noic * sc
        let swi = noia * wa
        let t = ssi + swi
        return t > 0 ? ssi * swi / t : 0
    }
}

extension BSIMLite {
    /// The unified flicker model's parts at the present operating point (Vds > 0 frame of the last DC
    /// evaluation, `cd` the drain current ngspice keeps) at `frequency` hertz and `temperature` kelvin.
    /// The numeric constants (8.62e-5 for k/q, 1e8, 2e14, 4e36) are b3noi's own.
    func unifiedFlicker(frequency: Double, temperature: Double) -> BSIMUnifiedFlicker {
        let c = mode > 0
            ? size.channel(vgs: vgs, vds: vds, vbs: vbs)
            : size.channel(vgs: vgs - vds, vds: -vds, vbs: vbs - vds)
        let s = size
        let q = Physics.charge, kOverQ = 8.62e-5
        let id = abs(cd), ueff = c.ueff.v, vgsteff = c.vgsteff.v, vdseff = c.vdseff.v, abulk = c.abulk.v
        let leff = s.leff, leffSq = leff * leff, cox = s.cox
        let esat = 2 * s.vsattemp / ueff
        var delClm = 0.0
        if model.em > 0 {
            let t0 = ((abs(vds) - vdseff) / s.litl + model.em) / esat
            delClm = max(0, s.litl * log(max(t0, NoiseDensity.minimumLog)))
        }
        let effFreq = pow(frequency, model.ef)
        let t1 = q * q * kOverQ * id * temperature * ueff
        // b3ld stores Abulk before the KETA factor but Abulk/Vgst2Vtm after it.
        let t2 = 1e8 * effFreq * c.abulkBeforeKeta * cox * leffSq
        let abovVgst2Vtm = abulk / (vgsteff + 2 * s.vtm)
        let n0 = cox * vgsteff / q
        let nl = cox * vgsteff * (1 - abovVgst2Vtm * vdseff) / q
        let t6 = kOverQ * temperature * id * id
        let t7 = 1e8 * effFreq * leffSq * s.weff
        let t9 = (nl + 2e14) * (nl + 2e14)
        let a = t1 / t2, b = t6 / t7 * delClm / t9
        let wa = kOverQ * temperature / (s.weff * leff * effFreq * 4e36) * cd * cd
        return BSIMUnifiedFlicker(sa: a * log(max((n0 + 2e14) / (nl + 2e14), NoiseDensity.minimumLog)) + b,
                                  sb: a * (n0 - nl) + b * nl,
                                  sc: a * 0.5 * (n0 * n0 - nl * nl) + b * nl * nl,
                                  wa: wa)
    }

    /// The noise densities at `frequency` hertz at the present operating point (ngspice's `b3noi`,
    /// noimod=1 or 3). Id is the per-unit drain current ngspice keeps (`BSIM3cd`, channel minus the
    /// bulk–drain junction current), floored at N_MINLOG before the noimod=1 power law.
    func noiseDensities(frequency: Double, temperature: Double) -> BSIMNoiseDensities {
        let thermal = NoiseDensity.thermal(2.0 / 3.0 * abs(gm + gds + gmbs) * m, temperature: temperature)
        let flicker = model.noimod == 3
            ? m * unifiedFlicker(frequency: frequency, temperature: temperature)
                .density(noia: model.noia, noib: model.noib, noic: model.noic)
            : m * model.kf * NoiseDensity.power(cd, model.af)
                / (pow(frequency, model.ef) * size.leff * size.leff * model.cox)
        return BSIMNoiseDensities(thermal: thermal, flicker: flicker,
                                  drainResistor: NoiseDensity.thermal(drainConductance, temperature: temperature),
                                  sourceResistor: NoiseDensity.thermal(sourceConductance, temperature: temperature))
    }

    /// The generators in ngspice's order: drain and source resistances, channel thermal, flicker. ngspice's
    /// BSIM3 names its vectors with dots (`onoise.m1.id`), unlike the other devices.
    func noise(frequency: Double, temperature: Double) -> [NoiseGenerator] {
        let d = noiseDensities(frequency: frequency, temperature: temperature)
        return [
            NoiseGenerator(suffix: ".rd", a: drainPrime, b: drain, density: d.drainResistor),
            NoiseGenerator(suffix: ".rs", a: sourcePrime, b: source, density: d.sourceResistor),
            NoiseGenerator(suffix: ".id", a: drainPrime, b: sourcePrime, density: d.thermal),
            NoiseGenerator(suffix: ".1overf", a: drainPrime, b: sourcePrime, density: d.flicker),
        ]
    }
}

extension Simulator {
    /// The drain-current noise densities of a BSIM-lite MOSFET at `frequency` hertz, at the most
    /// recent operating point; nil when the device is not a BSIM-lite instance.
    public func bsimNoiseDensities(_ device: String, frequency: Double) -> BSIMNoiseDensities? {
        guard let m = circuit.deviceIndex[device.lowercased()] as? BSIMLite else { return nil }
        return m.noiseDensities(frequency: frequency, temperature: circuit.temperature)
    }
}
