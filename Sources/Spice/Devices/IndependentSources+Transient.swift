#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A transient waveform with ngspice's defaults filled in for the analysis' step and stop time.
struct SourceWaveform: Sendable {
    enum Shape: Sendable {
        case pulse(v1: Double, v2: Double, delay: Double, rise: Double, fall: Double, width: Double, period: Double)
        case sin(offset: Double, amplitude: Double, frequency: Double, delay: Double, damping: Double, phase: Double)
        case exp(v1: Double, v2: Double, delay1: Double, tau1: Double, delay2: Double, tau2: Double)
        case pwl(times: [Double], values: [Double], repeatFrom: Double?, delay: Double)
    }
    let shape: Shape

    /// Fills omitted fields as ngspice does: PULSE rise/fall default to TSTEP, width/period to TSTOP (a
    /// zero counts as omitted); SIN frequency to 1/TSTOP; EXP tau1/tau2 to TSTEP and td2 to td1 + TSTEP.
    init(_ waveform: Waveform, step: Double, stop: Double) {
        func field(_ v: [Double?], _ k: Int) -> Double? { k < v.count ? v[k] : nil }
        switch waveform {
        case .pulse(let v):
            func nonzero(_ k: Int, _ fallback: Double) -> Double {
                if let x = field(v, k), x != 0 { return x }
                return fallback
            }
            shape = .pulse(v1: field(v, 0) ?? 0, v2: field(v, 1) ?? 0, delay: field(v, 2) ?? 0,
                           rise: nonzero(3, step), fall: nonzero(4, step), width: nonzero(5, stop),
                           period: nonzero(6, stop))
        case .sin(let v):
            var frequency = field(v, 2) ?? 0
            if frequency == 0 { frequency = 1 / stop }
            shape = .sin(offset: field(v, 0) ?? 0, amplitude: field(v, 1) ?? 0, frequency: frequency,
                         delay: field(v, 3) ?? 0, damping: field(v, 4) ?? 0, phase: field(v, 5) ?? 0)
        case .exp(let v):
            func nonzero(_ k: Int, _ fallback: Double) -> Double {
                if let x = field(v, k), x != 0 { return x }
                return fallback
            }
            let td1 = field(v, 2) ?? 0
            shape = .exp(v1: field(v, 0) ?? 0, v2: field(v, 1) ?? 0, delay1: td1, tau1: nonzero(3, step),
                         delay2: nonzero(4, td1 + step), tau2: nonzero(5, step))
        case .pwl(let points, let repeatFrom, let delay):
            shape = .pwl(times: points.map(\.time), values: points.map(\.value), repeatFrom: repeatFrom, delay: delay)
        }
    }

    /// The waveform's value at `time`.
    func value(at time: Double) -> Double {
        switch shape {
        case let .pulse(v1, v2, delay, rise, fall, width, period):
            var t = time - delay
            if t > period { t -= period * floor(t / period) }
            if t <= 0 { return v1 }
            if t < rise { return v1 + (v2 - v1) * t / rise }
            if t <= rise + width { return v2 }
            if t < rise + width + fall { return v2 + (v1 - v2) * (t - rise - width) / fall }
            return v1
        case let .sin(offset, amplitude, frequency, delay, damping, phase):
            let radians = phase * Double.pi / 180
            if time <= delay { return offset + amplitude * sin(radians) }
            let t = time - delay
            return offset + amplitude * sin(2 * Double.pi * frequency * t + radians) * exp(-t * damping)
        case let .exp(v1, v2, delay1, tau1, delay2, tau2):
            if time <= delay1 { return v1 }
            var value = v1 + (v2 - v1) * (1 - exp(-(time - delay1) / tau1))
            if time > delay2 { value += (v1 - v2) * (1 - exp(-(time - delay2) / tau2)) }
            return value
        case let .pwl(times, values, repeatFrom, delay):
            var t = time - delay
            guard let first = times.first, let last = times.last else { return 0 }
            // ngspice wraps from the last point on: at `last` itself the value is already the repeat's.
            if let r = repeatFrom, t >= last, last > r {
                t = r + (t - r).truncatingRemainder(dividingBy: last - r)
            }
            if t <= first { return values[0] }
            if t >= last { return values[values.count - 1] }
            // Binary search for the segment holding t.
            var lo = 0, hi = times.count - 1
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if times[mid] <= t { lo = mid } else { hi = mid }
            }
            let span = times[hi] - times[lo]
            return span > 0 ? values[lo] + (values[hi] - values[lo]) * (t - times[lo]) / span : values[hi]
        }
    }

    /// The corners ngspice puts breakpoints at, in (0, stop]: PULSE corners every period and the first
    /// pass of PWL points.
    func breakpoints(until stop: Double) -> [Double] {
        var result: [Double] = []
        switch shape {
        case let .pulse(_, _, delay, rise, fall, width, period):
            var base = delay
            // A waveform with a million corners would be an input error; stop collecting well before.
            while base <= stop, result.count < 4_000_000 {
                for corner in [base, base + rise, base + rise + width, base + rise + width + fall] where corner <= stop {
                    result.append(corner)
                }
                base += period
            }
        case .sin, .exp:
            // ngspice sets no breakpoints for SIN and EXP (their corners are smooth enough for the LTE).
            break
        case let .pwl(times, _, _, delay):
            // Only the first pass: ngspice sets no breakpoints in the repeats of an `r=` waveform.
            for t in times { result.append(t + delay) }
        }
        return result.filter { $0 > 0 && $0 <= stop }
    }
}

/// An independent source whose value follows a transient waveform.
protocol WaveformSource: Device {
    /// The waveform as the deck writes it (nil: the source is constant in time).
    var waveform: Waveform? { get }
    /// Set by the transient analysis with its step and stop time; nil outside a transient.
    var resolvedWaveform: SourceWaveform? { get set }
}

extension VoltageSource: WaveformSource {}
extension CurrentSource: WaveformSource {}
