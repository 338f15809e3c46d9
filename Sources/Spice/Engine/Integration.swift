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
    /// The state vector at the present point (h0) and at the accepted points before it (h1, h2, h3).
    private var h0, h1, h2, h3: UnsafeMutablePointer<Double>
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
        func buffer() -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(states, 1))
            p.initialize(repeating: 0, count: max(states, 1))
            return p
        }
        h0 = buffer(); h1 = buffer(); h2 = buffer(); h3 = buffer()
    }

    deinit { h0.deallocate(); h1.deallocate(); h2.deallocate(); h3.deallocate() }

    /// What devices see during one load pass: a value (no reference counting in the device loop).
    var step: IntegrationStep {
        IntegrationStep(present: h0, previous: h1, beforePrevious: h2, ag0: ag0, ag1: ag1, ag2: ag2,
                        trapezoidal2: trapezoidal2, integrating: integrating,
                        initialConditionLoad: initialConditionLoad, time: time)
    }

    @inline(__always) var present: UnsafeMutablePointer<Double> { h0 }
    @inline(__always) var previous: UnsafeMutablePointer<Double> { h1 }

    /// Integrates the charge stored at `state` (already written by the device) and returns its current
    /// dq/dt by the present formula; the current is stored at `state + 1`.
    @inline(__always)
    func integrate(_ state: Int) -> Double {
        let q0 = h0[state]
        let current: Double
        if trapezoidal2 {
            // i_n = −i_{n−1} + (2/h)(q_n − q_{n−1})
            current = -h1[state + 1] + ag0 * (q0 - h1[state])
        } else {
            // Backward Euler, or Gear-2 (ag2 = 0 at order 1).
            current = ag0 * q0 + ag1 * h1[state] + ag2 * h2[state]
        }
        h0[state + 1] = current
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
        ag0 = ag[0]; ag1 = ag[1]; ag2 = ag[2]
        trapezoidal2 = method == .trapezoidal && order == 2
    }

    /// The coefficients as plain stored values for `integrate` (ag1 is 1 for trapezoidal order 2).
    private var ag1 = 0.0, ag2 = 0.0
    private var trapezoidal2 = false

    /// Makes the present state the first history point of the next step and shifts the step sizes.
    func rotate(nextStep: Double) {
        let last = h3
        h3 = h2; h2 = h1; h1 = h0; h0 = last
        for k in stride(from: steps.count - 1, to: 0, by: -1) { steps[k] = steps[k - 1] }
        steps[0] = nextStep
    }

    func setStep(_ k: Int, _ value: Double) { steps[k] = value }

    func setOrder(_ newOrder: Int) { order = min(max(newOrder, 1), maxOrder) }

    /// Copies the present state into every history point (after the operating point: a flat past).
    func flattenHistory() {
        for h in [h1, h2, h3] { h.update(from: h0, count: max(count, 1)) }
    }

    /// Copies the present state into the points behind it (after the first step, as ngspice does).
    func copyPreviousBack() {
        for h in [h2, h3] { h.update(from: h1, count: max(count, 1)) }
    }

    // MARK: - Truncation error

    /// LTE coefficients of the trapezoidal rule and of Gear (orders 1 and 2).
    private static let trapezoidalFactor = [0.5, 1.0 / 12]
    private static let gearFactor = [0.5, 2.0 / 9]

    /// The largest step the local truncation error of the charges at `states` allows (ngspice's CKTterr
    /// for each): the (order+1)-th divided difference of each charge's history against trtol times a
    /// tolerance built from reltol, abstol (on the current) and chgtol (on the charge).
    func truncationStep(_ states: [Int], options: Options) -> Double {
        let reltol = options.reltol, abstol = options.abstol, chgtol = options.chgtol, trtol = options.trtol
        let factor = method == .trapezoidal ? Integrator.trapezoidalFactor[order - 1] : Integrator.gearFactor[order - 1]
        let s0 = steps[0], s1 = steps[1], s2 = steps[2]
        let secondOrder = order == 2
        var smallest = Double.infinity
        states.withUnsafeBufferPointer { list in
            for state in list {
                let volttol = abstol + reltol * max(abs(h0[state + 1]), abs(h1[state + 1]))
                let chargetol = reltol * max(max(abs(h0[state]), abs(h1[state])), chgtol) / s0
                let tol = max(volttol, chargetol)
                // Divided differences over order + 2 points.
                var d0 = (h0[state] - h1[state]) / s0
                var d1 = (h1[state] - h2[state]) / s1
                let diff: Double
                if secondOrder {
                    let d2 = (h2[state] - h3[state]) / s2
                    d0 = (d0 - d1) / (s1 + s0)
                    d1 = (d1 - d2) / (s2 + s1)
                    diff = (d0 - d1) / (s2 + s1 + s0)
                } else {
                    diff = (d0 - d1) / (s1 + s0)
                }
                var del = trtol * tol / max(abstol, factor * abs(diff))
                if secondOrder { del = del.squareRoot() }
                smallest = min(smallest, del)
            }
        }
        return smallest
    }
}

/// The integration formula and state buffers as one load pass sees them: devices store a charge at
/// `present[state]` and call `integrate(state)` for its current; `ag0` scales their capacitances.
struct IntegrationStep {
    let present: UnsafeMutablePointer<Double>
    let previous: UnsafeMutablePointer<Double>
    let beforePrevious: UnsafeMutablePointer<Double>
    let ag0: Double, ag1: Double, ag2: Double
    let trapezoidal2: Bool
    /// False while the initial point is solved (charges stored, no currents).
    let integrating: Bool
    /// The `UIC` load at the initial point: capacitors and inductors take their `IC=` values.
    let initialConditionLoad: Bool
    /// The present time (what sources evaluate their waveforms at).
    let time: Double

    /// The current dq/dt of the charge stored at `state`, also stored at `state + 1`.
    @inline(__always)
    func integrate(_ state: Int) -> Double {
        let q0 = present[state]
        let current = trapezoidal2
            ? -previous[state + 1] + ag0 * (q0 - previous[state])
            : ag0 * q0 + ag1 * previous[state] + ag2 * beforePrevious[state]
        present[state + 1] = current
        return current
    }
}
