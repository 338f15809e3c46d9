#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One noise generator of a device: a current source between two unknowns with its one-sided spectral
/// density at the operating point.
///
/// The noise analysis weights `density` by |transfer from a current injected between `a` and `b` to the
/// output|², which the adjoint solution gives for every generator at once. Each device lists all of its
/// generators every time, in ngspice's order, even those that are zero (a diode without RS still has its
/// `rs` generator, between two names of the same node), because ngspice names one output vector per
/// generator.
struct NoiseGenerator: Sendable {
    /// ngspice's suffix with its separator (`_thermal`, `_rd`, `_id`, `_1overf`; BSIM3 writes `.rd`): the
    /// vectors are `onoise<sep><device><suffix>` and `onoise<sep><device>` for the device's total.
    let suffix: String
    let a: Unknown, b: Unknown
    /// A²/Hz.
    let density: Double
}

extension Device {
    func noise(frequency: Double, temperature: Double) -> [NoiseGenerator] { [] }
}

/// The spectral densities ngspice's noise sources use (`NevalSrc`: THERMNOISE, SHOTNOISE, and the flicker
/// power law the devices multiply by their own gain).
enum NoiseDensity {
    /// The smallest number ngspice takes the logarithm of (N_MINLOG); flicker laws floor |I| at it.
    static let minimumLog = 1e-38

    /// Thermal noise of a conductance `g` at `temperature` kelvin: 4kTg.
    @inline(__always) static func thermal(_ g: Double, temperature: Double) -> Double {
        4 * Physics.boltzmann * temperature * g
    }

    /// Shot noise of a current: 2q|I|.
    @inline(__always) static func shot(_ current: Double) -> Double { 2 * Physics.charge * abs(current) }

    /// |I|^exponent with ngspice's floor on |I|.
    @inline(__always) static func power(_ current: Double, _ exponent: Double) -> Double {
        exp(exponent * log(max(abs(current), minimumLog)))
    }
}
