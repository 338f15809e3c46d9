#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Drain-current noise spectral densities of a BSIM-lite instance (A²/Hz), noimod=1.
public struct BSIMNoiseDensities: Sendable, Equatable {
    /// Channel thermal noise, 4kT · (2/3)·|gm + gds + gmbs| · M (the SPICE2 form noimod=1 uses).
    public var thermal: Double
    /// Flicker noise, M · KF · |Id|^AF / (f^EF · Leff² · Cox).
    public var flicker: Double
    /// Thermal noise of the RSH drain and source series resistances, 4kT·G each.
    public var drainResistor: Double
    public var sourceResistor: Double
    public var total: Double { thermal + flicker + drainResistor + sourceResistor }
}

extension BSIMLite {
    /// The noise densities at `frequency` hertz at the present operating point (ngspice's `b3noi`,
    /// noimod=1). Id is the per-unit drain current ngspice keeps (`BSIM3cd`, channel minus the bulk–drain
    /// junction current), floored at N_MINLOG before the power law.
    func noiseDensities(frequency: Double, temperature: Double) -> BSIMNoiseDensities {
        let thermal = NoiseDensity.thermal(2.0 / 3.0 * abs(gm + gds + gmbs) * m, temperature: temperature)
        let flicker = m * model.kf * NoiseDensity.power(cd, model.af)
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
    /// The noimod=1 drain-current noise densities of a BSIM-lite MOSFET at `frequency` hertz, at the most
    /// recent operating point; nil when the device is not a BSIM-lite instance.
    public func bsimNoiseDensities(_ device: String, frequency: Double) -> BSIMNoiseDensities? {
        guard let m = circuit.deviceIndex[device.lowercased()] as? BSIMLite else { return nil }
        return m.noiseDensities(frequency: frequency, temperature: circuit.temperature)
    }
}
