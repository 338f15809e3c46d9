#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parameters of a `.tran` card.
public struct TransientSettings: Sendable {
    public var step: Double
    public var stop: Double
    public var start: Double
    /// The largest step allowed; nil: ngspice's default min(TSTEP, (TSTOP − TSTART)/50).
    public var maxStep: Double?
    /// Skip the operating point and start from `IC=` and `.ic` values.
    public var useInitialConditions: Bool

    public init(step: Double, stop: Double, start: Double = 0, maxStep: Double? = nil, useInitialConditions: Bool = false) {
        self.step = step; self.stop = stop; self.start = start; self.maxStep = maxStep
        self.useInitialConditions = useInitialConditions
    }
}

extension Simulator {
    /// `.tran`: integrates the circuit from its operating point (or from its initial conditions with
    /// `UIC`) to TSTOP with ngspice's time-step control, and returns a `tran` plot (time, then every
    /// node voltage and branch current) at the accepted time points from TSTART on.
    ///
    /// The step follows ngspice's DCtran: breakpoints at source corners, order 1 after each breakpoint,
    /// the local truncation error of every charge against trtol, and a step divided by 8 when Newton
    /// fails; it throws when the step falls below 1e-11 · TMAX.
    public func transient(_ settings: TransientSettings) throws -> Plot {
        let step = settings.step, stop = settings.stop, start = settings.start
        guard step > 0, step.isFinite, stop > 0, stop.isFinite, start >= 0, start < stop else {
            throw SimulationError(.badValue, ".tran \(step) \(stop) \(start): needs TSTEP > 0, TSTOP > 0 and 0 ≤ TSTART < TSTOP")
        }
        if let m = settings.maxStep, !(m > 0 && m.isFinite) {
            throw SimulationError(.badValue, ".tran: the maximum step must be positive, got \(m)")
        }
        if !topologyChecked {
            try circuit.checkTopology()
            topologyChecked = true
        }
        let options = deck.options
        let maxStep = settings.maxStep ?? min(step, (stop - start) / 50)
        let minStep = 1e-11 * maxStep
        let minBreak = 10 * minStep
        let integrator = Integrator(method: options.method == "gear" ? .gear : .trapezoidal,
                                    states: circuit.stateCount, useInitialConditions: settings.useInitialConditions)
        solver.transient = integrator
        defer {
            solver.transient = nil
            solver.heldNodes = []
            for device in circuit.devices { (device as? WaveformSource)?.resolvedWaveform = nil }
        }

        // Sources take their waveforms with the defaults this analysis implies; their corners are breakpoints.
        var corners: [Double] = [stop]
        if start > 0 { corners.append(start) }
        // Under UIC ngspice also breaks at TSTEP, so the first steps from the initial vector stay short.
        if settings.useInitialConditions, step < stop { corners.append(step) }
        for device in circuit.devices {
            guard let source = device as? WaveformSource, let w = source.waveform else { continue }
            let resolved = SourceWaveform(w, step: step, stop: stop)
            source.resolvedWaveform = resolved
            corners += resolved.breakpoints(until: stop)
        }
        corners.sort()
        var breakpoints: [Double] = [0]
        for t in corners where t - breakpoints[breakpoints.count - 1] > minBreak { breakpoints.append(t) }
        if stop - breakpoints[breakpoints.count - 1] > 0 { breakpoints[breakpoints.count - 1] = stop }

        // The initial point: the operating point with `.ic` nodes held, or the initial conditions as given.
        let n = circuit.size
        let initial = initialConditionVector()
        integrator.time = 0
        if settings.useInitialConditions {
            solver.setSolution(initial.values)
            integrator.initialConditionLoad = true
            solver.load(mode: .smallSignal, diagonalGmin: 0, sourceFactor: 1)
            integrator.initialConditionLoad = false
        } else {
            solver.heldNodes = initial.held
            solver.setSolution([Double](repeating: 0, count: n))
            try solver.operatingPoint()
            solver.load(mode: .smallSignal, diagonalGmin: 0, sourceFactor: 1)
            solver.heldNodes = []
        }
        integrator.flattenHistory()
        integrator.integrating = true

        let outs = outputs
        var times: [Double] = []
        var columns = [[Double]](repeating: [], count: outs.count)
        var accepted = [Double](repeating: 0, count: n)
        // ngspice writes no t = 0 point under UIC (the initial vector is not a solution).
        func record(_ time: Double) {
            let x = solver.solution
            for k in 0..<n { accepted[k] = x[k] }
            guard time >= start, time > 0 || !settings.useInitialConditions else { return }
            times.append(time)
            for (k, out) in outs.enumerated() { columns[k].append(x[out.unknown.index]) }
        }

        var time = 0.0
        var delta = min(stop / 100, step) / 10
        var saveDelta = stop / 50
        var firstTime = true
        var next = 0  // index of the first breakpoint not yet passed
        for k in 0..<7 { integrator.setStep(k, maxStep) }
        integrator.setOrder(1)
        record(0)
        let truncation = circuit.truncationStates

        // One pass per accepted time point.
        while true {
            // Past breakpoints are dropped; at a breakpoint the order drops to 1 and the step shrinks.
            delta = min(delta, maxStep)
            if next < breakpoints.count, time == breakpoints[next] || breakpoints[next] - time <= minStep {
                integrator.setOrder(1)
                let following = next + 1 < breakpoints.count ? breakpoints[next + 1] - breakpoints[next] : saveDelta
                delta = min(delta, 0.1 * min(saveDelta, following))
                if firstTime { delta /= 10 }
            }
            while next < breakpoints.count, breakpoints[next] <= time + minBreak { next += 1 }
            if next < breakpoints.count, time + delta > breakpoints[next] {
                saveDelta = delta
                delta = breakpoints[next] - time
            }
            integrator.rotate(nextStep: delta)

            // Attempts at the next time point until one is accepted.
            while true {
                let oldDelta = delta
                let target = time + delta
                integrator.time = target
                integrator.setStep(0, delta)
                integrator.computeCoefficients()
                let converged = solver.newton(maxIterations: options.itl4)
                if firstTime { integrator.copyPreviousBack() }
                if !converged {
                    delta /= 8
                    integrator.setOrder(1)
                    solver.setSolution(accepted)
                } else if firstTime {
                    // ngspice takes the first point without a truncation check.
                    firstTime = false
                    time = target
                    break
                } else {
                    var newDelta = min(2 * delta, truncationStep(truncation, options))
                    if newDelta > 0.9 * delta {
                        if integrator.order == 1 && integrator.maxOrder > 1 {
                            integrator.setOrder(2)
                            newDelta = min(2 * delta, truncationStep(truncation, options))
                            if newDelta <= 1.05 * delta { integrator.setOrder(1) }
                        }
                        time = target
                        delta = newDelta
                        break
                    }
                    delta = newDelta
                }
                if delta <= minStep {
                    guard oldDelta > minStep else { throw timestepTooSmall(at: target) }
                    delta = minStep
                }
            }
            record(time)
            if abs(time - stop) < minBreak { break }
        }

        var vectors = [Vector(name: "time", type: .time, values: .real(times))]
        for (k, out) in outs.enumerated() { vectors.append(Vector(name: out.name, type: out.quantity, values: .real(columns[k]))) }
        return Plot(name: nextPlotName("tran"), title: "Transient Analysis", vectors: vectors)
    }

    /// The smallest step any charge's truncation error allows at the present order.
    private func truncationStep(_ states: [Int], _ options: Options) -> Double {
        guard let integrator = solver.transient else { return .infinity }
        var smallest = Double.infinity
        for s in states { smallest = min(smallest, integrator.truncationStep(s, options: options)) }
        return smallest
    }

    /// `.ic` values as a starting vector (zero elsewhere) and as held nodes for the operating point.
    private func initialConditionVector() -> (values: [Double], held: [(slot: MatrixSlot, unknown: Unknown, value: Double)]) {
        var values = [Double](repeating: 0, count: circuit.size)
        var held: [(slot: MatrixSlot, unknown: Unknown, value: Double)] = []
        for (name, value) in deck.initialConditions.sorted(by: { $0.key < $1.key }) {
            guard let i = circuit.nodeIndex[name.lowercased()] else { continue }
            values[i] = value
            held.append((circuit.nodeDiagonals[i], Unknown(index: i), value))
        }
        return (values, held)
    }

    private func timestepTooSmall(at time: Double) -> SimulationError {
        let near: String
        if let worst = solver.worstUnknown {
            near = " near \(circuit.describe(worst))"
        } else if let device = solver.nonconvergedDevice {
            near = " near device '\(device)'"
        } else if let column = solver.singularColumn {
            near = " near \(circuit.describe(column)) (singular matrix)"
        } else {
            near = " (Newton stopped after itl4 = \(deck.options.itl4) iterations before any convergence test)"
        }
        return SimulationError(.noConvergence, "timestep too small at t=\(time) s\(near): the transient cannot go on",
                               subject: solver.worstUnknown.map { circuit.unknownNames[$0] } ?? solver.nonconvergedDevice)
    }
}
