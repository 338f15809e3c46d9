import Foundation

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
    /// noimod=1); the noise analysis will weight these by its transfer functions.
    func noiseDensities(frequency: Double, temperature: Double) -> BSIMNoiseDensities {
        let fourKT = 4 * Physics.boltzmann * temperature
        let thermal = fourKT * (2.0 / 3.0) * abs(gm + gds + gmbs) * m
        // ngspice floors |Id| at N_MINLOG before the power law.
        let id = max(abs(cdrain), 1e-38)
        let flicker = m * model.kf * exp(model.af * log(id))
            / (pow(frequency, model.ef) * size.leff * size.leff * model.cox)
        return BSIMNoiseDensities(thermal: thermal, flicker: flicker,
                                  drainResistor: fourKT * drainConductance, sourceResistor: fourKT * sourceConductance)
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
