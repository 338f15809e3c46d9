extension Diode {
    /// Series-resistance thermal noise, junction shot noise 2q|Id| and flicker noise KF·|Id|^AF/f
    /// (ngspice's `dionoise`), Id being the junction current at the operating point (gmin included).
    func noise(frequency: Double, temperature: Double) -> [NoiseGenerator] {
        let flicker = model.flickerCoefficient * NoiseDensity.power(cd, model.flickerExponent) / frequency
        return [
            NoiseGenerator(suffix: "_rs", a: junction, b: anode,
                           density: NoiseDensity.thermal(seriesConductance, temperature: temperature)),
            NoiseGenerator(suffix: "_id", a: junction, b: cathode, density: NoiseDensity.shot(cd)),
            NoiseGenerator(suffix: "_1overf", a: junction, b: cathode, density: flicker),
        ]
    }
}
