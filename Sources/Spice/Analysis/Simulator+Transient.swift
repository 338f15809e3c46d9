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
        solver.forgetFactorization()
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
        var statistics = TransientStatistics()
        solver.iterations = 0
        defer { statistics.iterations = solver.iterations; transientStatistics = statistics }

        // The whole initial solution (what ngspice prints as "Initial Transient Solution"), whatever is saved.
        let x0 = solver.solution
        initialTransientPoint = Plot(name: "initial", title: "Initial Transient Solution",
                                     vectors: [Vector(name: "time", type: .time, values: .real([0]))]
                                        + outputs.map { Vector(name: $0.name, type: $0.quantity, values: .real([x0[$0.unknown.index]])) })
        let outs = savedOutputs
        let outIndices = outs.map(\.unknown.index)
        var times: [Double] = []
        // Accepted values row by row (one row of outputs per time point), transposed at the end.
        var rows: [Double] = []
        rows.reserveCapacity(outs.count * 1024)
        // The last two accepted solutions and the predictor's guess, allocated once.
        let accepted = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        let before = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        let predicted = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1))
        let row = UnsafeMutablePointer<Double>.allocate(capacity: max(outs.count, 1))
        accepted.initialize(repeating: 0, count: max(n, 1)); before.initialize(repeating: 0, count: max(n, 1))
        predicted.initialize(repeating: 0, count: max(n, 1))
        defer { accepted.deallocate(); before.deallocate(); predicted.deallocate(); row.deallocate() }
        var lastStep = 0.0
        // ngspice writes no t = 0 point under UIC (the initial vector is not a solution).
        let recordsZero = !settings.useInitialConditions
        @inline(__always) func record(_ time: Double) {
            let x = solver.solution.baseAddress!
            before.update(from: accepted, count: n)
            accepted.update(from: x, count: n)
            guard time >= start, time > 0 || recordsZero else { return }
            times.append(time)
            for (k, i) in outIndices.enumerated() { row[k] = x[i] }
            rows.append(contentsOf: UnsafeBufferPointer(start: row, count: outIndices.count))
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
                // Newton starts from the line through the last two accepted points (ngspice extrapolates
                // each device's voltages the same way in its first iteration).
                if lastStep > 0 {
                    let r = delta / lastStep
                    for k in 0..<n { predicted[k] = accepted[k] + r * (accepted[k] - before[k]) }
                    solver.setSolution(UnsafePointer(predicted))
                }
                integrator.time = target
                integrator.setStep(0, delta)
                integrator.computeCoefficients()
                // Under UIC the first point starts from a vector no device was solved at: its first iteration
                // seeds the junctions as an operating point does (ngspice's MOS1 takes VTO there too).
                let converged = solver.newton(maxIterations: options.itl4,
                                              initJunction: firstTime && settings.useInitialConditions)
                if firstTime { integrator.copyPreviousBack() }
                statistics.timepoints += 1
                if !converged {
                    solver.trace?("t=\(target) step \(delta): Newton failed; \(solver.failureDescription())")
                    // ngspice counts a point whose Newton failed as rejected too.
                    statistics.rejected += 1
                    delta /= 8
                    integrator.setOrder(1)
                    solver.setSolution(UnsafePointer(accepted))
                } else if firstTime {
                    // ngspice takes the first point without a truncation check.
                    firstTime = false
                    lastStep = target - time
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
                        lastStep = target - time
                        time = target
                        delta = newDelta
                        break
                    }
                    statistics.rejected += 1
                    delta = newDelta
                }
                if delta <= minStep {
                    guard oldDelta > minStep else { throw timestepTooSmall(at: target) }
                    delta = minStep
                }
            }
            statistics.accepted += 1
            record(time)
            if abs(time - stop) < minBreak { break }
        }

        var vectors = [Vector(name: "time", type: .time, values: .real(times))]
        let width = outs.count
        for (k, out) in outs.enumerated() {
            let column = [Double](unsafeUninitializedCapacity: times.count) { buffer, count in
                for p in 0..<times.count { buffer[p] = rows[p * width + k] }
                count = times.count
            }
            vectors.append(Vector(name: out.name, type: out.quantity, values: .real(column)))
        }
        return Plot(name: nextPlotName("tran"), title: "Transient Analysis", vectors: vectors)
    }

    /// The smallest step any charge's truncation error allows at the present order.
    private func truncationStep(_ states: [Int], _ options: Options) -> Double {
        solver.transient?.truncationStep(states, options: options) ?? .infinity
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
            near = " (Newton stopped after \(max(deck.options.itl4, Solver.minimumIterations)) iterations before any convergence test)"
        }
        return SimulationError(.noConvergence, "timestep too small at t=\(time) s\(near): the transient cannot go on",
                               subject: solver.worstUnknown.map { circuit.unknownNames[$0] } ?? solver.nonconvergedDevice)
    }
}
