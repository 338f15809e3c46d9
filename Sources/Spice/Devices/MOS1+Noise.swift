extension MOS1 {
    /// Drain and source resistance thermal noise, channel thermal noise 4kT·(2/3)|gm| and flicker noise
    /// KF·|Id|^AF / (f·W·Leff·Cox'²), Cox' per area (ngspice 39's `mos1noi`, which has no NLEV; it assumes
    /// TOX = 100 nm when the card gives none, and uses W without M while Id includes M).
    func noise(frequency: Double, temperature: Double) -> [NoiseGenerator] {
        let coxPerArea = model.oxideCapFactor != 0 ? model.oxideCapFactor : Physics.epsilonOxide / 1e-7
        let flicker = model.kf * NoiseDensity.power(cd, model.af)
            / (frequency * w * effectiveLength * coxPerArea * coxPerArea)
        return [
            NoiseGenerator(suffix: "_rd", a: drainPrime, b: drain,
                           density: NoiseDensity.thermal(drainConductance, temperature: temperature)),
            NoiseGenerator(suffix: "_rs", a: sourcePrime, b: source,
                           density: NoiseDensity.thermal(sourceConductance, temperature: temperature)),
            NoiseGenerator(suffix: "_id", a: drainPrime, b: sourcePrime,
                           density: NoiseDensity.thermal(2.0 / 3.0 * abs(gm), temperature: temperature)),
            NoiseGenerator(suffix: "_1overf", a: drainPrime, b: sourcePrime, density: flicker),
        ]
    }
}
