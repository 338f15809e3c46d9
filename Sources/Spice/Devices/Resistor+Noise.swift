extension Resistor {
    /// Thermal noise 4kT/R (ngspice's `resnoise`); the flicker generator is there for ngspice's vector
    /// names and is zero (our resistors carry no KF/AF model).
    func noise(frequency: Double, temperature: Double) -> [NoiseGenerator] {
        [NoiseGenerator(suffix: "_thermal", a: a, b: b, density: NoiseDensity.thermal(conductance, temperature: temperature)),
         NoiseGenerator(suffix: "_1overf", a: a, b: b, density: 0)]
    }
}
