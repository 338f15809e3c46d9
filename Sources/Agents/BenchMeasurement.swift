#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Spice

/// The official-method figures read off simulation results (pure functions over arrays, so they can be
/// checked on synthetic data).
public enum BenchMeasurement {
    /// Magnitude in dB of a complex value.
    public static func dB(_ re: Double, _ im: Double) -> Double { 20 * log10(max((re * re + im * im).squareRoot(), 1e-300)) }

    /// Phase in degrees, wrapped to (−180, 180] as ngspice's `vp` reports it.
    public static func phaseDegrees(_ re: Double, _ im: Double) -> Double { atan2(im, re) * 180 / .pi }

    /// The open-loop figures: gain at the first point, the first downward 0 dB crossing (linear
    /// interpolation in frequency between the bracketing points, as `.meas ... when vdb=0` does) and
    /// the phase there. With no crossing, GBW is 0 (gain below 0 dB throughout) or the last frequency.
    public static func openLoop(frequencies f: [Double], re: [Double], im: [Double]) -> (gainDB: Double, gbwHz: Double, pmDeg: Double)? {
        guard !f.isEmpty, f.count == re.count, re.count == im.count else { return nil }
        let mag = (0..<f.count).map { dB(re[$0], im[$0]) }
        let gain = mag[0]
        guard gain > 0 else { return (gain, 0, phaseDegrees(re[0], im[0])) }
        for k in 1..<f.count where mag[k] <= 0 && mag[k - 1] > 0 {
            let t = mag[k - 1] / (mag[k - 1] - mag[k])
            let fx = f[k - 1] + t * (f[k] - f[k - 1])
            let p0 = phaseDegrees(re[k - 1], im[k - 1])
            var p1 = phaseDegrees(re[k], im[k])
            // Interpolate along the short way round, then wrap back.
            if p1 - p0 > 180 { p1 -= 360 } else if p1 - p0 < -180 { p1 += 360 }
            var p = p0 + t * (p1 - p0)
            if p <= -180 { p += 360 } else if p > 180 { p -= 360 }
            return (gain, fx, p)
        }
        return (gain, f[f.count - 1], phaseDegrees(re[f.count - 1], im[f.count - 1]))
    }

    /// Slew rate in V/µs on the first rising edge from `low` to `high` after `after` (times in s),
    /// crossings interpolated linearly; nil when the edge never completes.
    public static func slewRate(time t: [Double], values v: [Double], low: Double, high: Double, after: Double = 0) -> Double? {
        guard t.count == v.count, t.count > 1 else { return nil }
        func crossing(_ level: Double, from start: Int) -> (Double, Int)? {
            var k = max(start, 1)
            while k < t.count {
                if t[k] >= after, v[k - 1] < level, v[k] >= level {
                    let x = t[k - 1] + (level - v[k - 1]) / (v[k] - v[k - 1]) * (t[k] - t[k - 1])
                    return (x, k)
                }
                k += 1
            }
            return nil
        }
        guard let (t10, k) = crossing(low, from: 1), let (t90, _) = crossing(high, from: k) else { return nil }
        guard t90 > t10 else { return nil }
        return (high - low) / (t90 - t10) / 1e6
    }

    /// Linear interpolation of `y(x)` at `x0` in log-frequency (noise spectra are log-spaced).
    public static func interpolateLog(x: [Double], y: [Double], at x0: Double) -> Double? {
        guard x.count == y.count, !x.isEmpty else { return nil }
        if x.count == 1 || x0 <= x[0] { return y[0] }
        for k in 1..<x.count where x[k] >= x0 {
            let a = log(x[k - 1]), b = log(x[k])
            let t = b > a ? (log(x0) - a) / (b - a) : 0
            return y[k - 1] + t * (y[k] - y[k - 1])
        }
        return y[y.count - 1]
    }
}

extension Plot {
    /// A vector's values as reals (the real part of a complex vector).
    func real(_ name: String) -> [Double]? {
        guard let v = vector(named: name) else { return nil }
        switch v.values {
        case .real(let x): return x
        case .complex(let re, _): return re
        }
    }

    /// A vector's values as (re, im).
    func complex(_ name: String) -> (re: [Double], im: [Double])? {
        guard let v = vector(named: name) else { return nil }
        switch v.values {
        case .real(let x): return (x, [Double](repeating: 0, count: x.count))
        case .complex(let re, let im): return (re, im)
        }
    }

    /// The first vector whose name contains `part` (noise vectors differ in naming between tools).
    func real(containing part: String) -> [Double]? {
        guard let v = vectors.first(where: { $0.name.lowercased().contains(part) }) else { return nil }
        switch v.values {
        case .real(let x): return x
        case .complex(let re, let im): return zip(re, im).map { ($0 * $0 + $1 * $1).squareRoot() }
        }
    }
}
