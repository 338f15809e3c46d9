#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The transient analysis' integration formula and charge history: devices hand it a charge (or flux)
/// and get back the current dq/dt; the analysis owns the method, the order and the step sizes.
///
/// Every charge a device integrates owns two consecutive state entries, the charge and its current,
/// allocated by `SlotBinder.states(_:)` when the device binds. The integrator keeps the state vector at
/// the present time point and at the accepted points before it (ngspice's `CKTstates`), and the step
/// sizes that separate them (`CKTdeltaOld`).
final class Integrator {
    enum Method { case trapezoidal, gear }

    let method: Method
    /// The highest order the method may use (2: trapezoidal, or Gear-2).
    let maxOrder = 2
    private(set) var order = 1
    /// Number of state entries (charges and their currents).
    let count: Int
    /// `history[0]` is the present point, `history[k]` the k-th accepted point before it.
    private var history: [UnsafeMutablePointer<Double>]
    /// Step sizes: `steps[0]` is the present step, `steps[k]` the one k points back.
    private(set) var steps = [Double](repeating: 0, count: 7)
    /// The coefficients of the present formula: dq/dt ≈ Σ ag[k]·q[k] (Gear), or the trapezoidal pair.
    private(set) var ag = [Double](repeating: 0, count: 3)
    /// ag[0], the derivative of dq/dt with respect to the present charge (what scales capacitances).
    private(set) var ag0 = 0.0
    /// False while the analysis solves its initial point: devices then store their charges (the flat
    /// history the first step starts from) but add no capacitive currents.
    var integrating = false
    /// True for the one load at the initial point under `UIC`: capacitors and inductors take their
    /// `IC=` values instead of the solution's.
    var initialConditionLoad = false
    /// `UIC`: the first step takes initial conditions (IC=, .ic) instead of an operating point.
    let useInitialConditions: Bool
    /// The present time (what sources evaluate their waveforms at).
    var time = 0.0

    init(method: Method, states: Int, useInitialConditions: Bool) {
        self.method = method
        count = states
        self.useInitialConditions = useInitialConditions
        history = (0..<4).map { _ in
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(states, 1))
            p.initialize(repeating: 0, count: max(states, 1))
            return p
        }
    }

    deinit { for p in history { p.deallocate() } }

    @inline(__always) var present: UnsafeMutablePointer<Double> { history[0] }
    @inline(__always) var previous: UnsafeMutablePointer<Double> { history[1] }

    /// Integrates the charge stored at `state` (already written by the device) and returns its current
    /// dq/dt by the present formula; the current is stored at `state + 1`.
    @inline(__always)
    func integrate(_ state: Int) -> Double {
        let q0 = history[0][state]
        let current: Double
        switch method {
        case .trapezoidal:
            if order == 1 {
                current = ag0 * (q0 - history[1][state])
            } else {
                // i_n = −i_{n−1} + (2/h)(q_n − q_{n−1})
                current = -history[1][state + 1] * ag[1] + ag0 * (q0 - history[1][state])
            }
        case .gear:
            current = ag[0] * q0 + ag[1] * history[1][state] + (order == 2 ? ag[2] * history[2][state] : 0)
        }
        history[0][state + 1] = current
        return current
    }

    /// Sets the formula's coefficients for the present step `steps[0]` (ngspice's NIcomCof).
    func computeCoefficients() {
        let h = steps[0]
        switch method {
        case .trapezoidal:
            if order == 1 { ag[0] = 1 / h; ag[1] = -1 / h } else { ag[0] = 2 / h; ag[1] = 1 }
            ag[2] = 0
        case .gear:
            if order == 1 {
                ag[0] = 1 / h; ag[1] = -1 / h; ag[2] = 0
            } else {
                // Variable-step BDF2: Σ ag[k]·q(t_{n−k}) is exact for polynomials of degree ≤ 2.
                let r1 = steps[0] / h, r2 = (steps[0] + steps[1]) / h
                // ag0 + ag1 + ag2 = 0; r1·ag1 + r2·ag2 = −1/h; r1²·ag1 + r2²·ag2 = 0.
                let det = r1 * r2 * r2 - r2 * r1 * r1
                ag[1] = (-1 / h) * r2 * r2 / det
                ag[2] = (1 / h) * r1 * r1 / det
                ag[0] = -(ag[1] + ag[2])
            }
        }
        ag0 = ag[0]
    }

    /// Makes the present state the first history point of the next step and shifts the step sizes.
    func rotate(nextStep: Double) {
        let last = history[3]
        history[3] = history[2]; history[2] = history[1]; history[1] = history[0]; history[0] = last
        for k in stride(from: steps.count - 1, to: 0, by: -1) { steps[k] = steps[k - 1] }
        steps[0] = nextStep
    }

    func setStep(_ k: Int, _ value: Double) { steps[k] = value }

    func setOrder(_ newOrder: Int) { order = min(max(newOrder, 1), maxOrder) }

    /// Copies the present state into every history point (after the operating point: a flat past).
    func flattenHistory() {
        for k in 1..<history.count { history[k].update(from: history[0], count: max(count, 1)) }
    }

    /// Copies the present state into the points behind it (after the first step, as ngspice does).
    func copyPreviousBack() {
        for k in 2..<history.count { history[k].update(from: history[1], count: max(count, 1)) }
    }

    // MARK: - Truncation error

    /// LTE coefficients of the trapezoidal rule and of Gear (orders 1 and 2).
    private static let trapezoidalFactor = [0.5, 1.0 / 12]
    private static let gearFactor = [0.5, 2.0 / 9]

    /// The largest step the local truncation error of the charge at `state` allows (ngspice's CKTterr):
    /// the (order+1)-th divided difference of the charge history against trtol times a tolerance built
    /// from reltol, abstol (on the current) and chgtol (on the charge).
    func truncationStep(_ state: Int, options: Options) -> Double {
        let h0 = history[0], h1 = history[1]
        let volttol = options.abstol + options.reltol * max(abs(h0[state + 1]), abs(h1[state + 1]))
        var chargetol = max(abs(h0[state]), abs(h1[state]))
        chargetol = options.reltol * max(chargetol, options.chgtol) / steps[0]
        let tol = max(volttol, chargetol)
        // Divided differences over order + 2 points.
        var diff = (history[0][state], history[1][state], history[2][state], order >= 2 ? history[3][state] : 0)
        var deltmp = (steps[0], steps[1], steps[2])
        if order == 1 {
            diff.0 = (diff.0 - diff.1) / deltmp.0
            diff.1 = (diff.1 - diff.2) / deltmp.1
            deltmp.0 = deltmp.1 + steps[0]
            diff.0 = (diff.0 - diff.1) / deltmp.0
        } else {
            diff.0 = (diff.0 - diff.1) / deltmp.0
            diff.1 = (diff.1 - diff.2) / deltmp.1
            diff.2 = (diff.2 - diff.3) / deltmp.2
            deltmp.0 = deltmp.1 + steps[0]
            deltmp.1 = deltmp.2 + steps[1]
            diff.0 = (diff.0 - diff.1) / deltmp.0
            diff.1 = (diff.1 - diff.2) / deltmp.1
            deltmp.0 = deltmp.1 + steps[0]
            diff.0 = (diff.0 - diff.1) / deltmp.0
        }
        let factor = method == .trapezoidal ? Integrator.trapezoidalFactor[order - 1] : Integrator.gearFactor[order - 1]
        let del = options.trtol * tol / max(options.abstol, factor * abs(diff.0))
        return order == 2 ? del.squareRoot() : del
    }
}
