#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Newton–Raphson on the circuit's DC equations, with ngspice's convergence test and its gmin and
/// source stepping fallbacks; all buffers are allocated once per circuit.
final class Solver {
    let circuit: Circuit
    let n: Int
    /// Storage of nonzeros + 1 matrix values: entry 0 is the discard slot (index −1), then the values in
    /// compressed-column order.
    private let matrixStorage: UnsafeMutableBufferPointer<Double>
    /// The compressed-column values alone (what KLU factors).
    let matrix: UnsafeMutableBufferPointer<Double>
    /// Right-hand side, then solution of the latest solve (n + 1 long; entry 0 is ground).
    private var rhsStorage: UnsafeMutableBufferPointer<Double>
    /// The present iterate (n + 1 long; entry 0 is ground and always 0).
    private var xStorage: UnsafeMutableBufferPointer<Double>
    private var rhs: UnsafeMutableBufferPointer<Double> { UnsafeMutableBufferPointer(rebasing: rhsStorage[1...]) }
    private var x: UnsafeMutableBufferPointer<Double> { UnsafeMutableBufferPointer(rebasing: xStorage[1...]) }
    private let devices: [Device]
    private let options: Options
    /// Set after a failed Newton run: the unknown that moved most against its tolerance.
    private(set) var worstUnknown: Int?
    private(set) var nonconvergedDevice: String?
    private(set) var singularColumn: Int?
    /// Set for the duration of a transient analysis (its operating point included).
    var transient: Integrator?
    /// Nodes held at a value in every iteration (`.ic` during a transient's operating point).
    var heldNodes: [(slot: MatrixSlot, unknown: Unknown, value: Double)] = []
    /// Newton iterations since the counter was last reset (the transient's statistics).
    var iterations = 0

    /// Every device is linear: one solve is the exact answer, so Newton stops after it.
    let isLinear: Bool
    /// The linear devices with charges (C, L), whose states a one-solve time point stores afterwards.
    private let chargeDevices: [Device]
    /// The matrix values of the factorization in hand (linear circuits in a transient), so a time point
    /// whose matrix is bitwise the same (same step and order) solves without factoring again.
    private let factoredMatrix: UnsafeMutableBufferPointer<Double>
    private var factorInHand = false
    /// Devices as unmanaged references: the load loop then calls them without retain/release pairs.
    private let unmanagedDevices: [UnownedDevice]
    private struct UnownedDevice { unowned(unsafe) let device: any Device }

    init(circuit: Circuit) {
        self.circuit = circuit
        n = circuit.size
        options = circuit.options
        deviceGmin = circuit.options.gmin
        devices = circuit.devices
        unmanagedDevices = devices.map { UnownedDevice(device: $0) }
        isLinear = devices.allSatisfy(\.isLinear)
        chargeDevices = isLinear ? devices.filter { $0 is Capacitor || $0 is Inductor } : []
        factoredMatrix = .allocate(capacity: isLinear ? max(circuit.nonzeros, 1) : 1)
        factoredMatrix.initialize(repeating: 0)
        matrixStorage = .allocate(capacity: circuit.nonzeros + 1); matrixStorage.initialize(repeating: 0)
        matrix = UnsafeMutableBufferPointer(rebasing: matrixStorage[1...])
        rhsStorage = .allocate(capacity: n + 1); rhsStorage.initialize(repeating: 0)
        xStorage = .allocate(capacity: n + 1); xStorage.initialize(repeating: 0)
    }

    static let nodesetConductance = 1e10

    deinit { matrixStorage.deallocate(); rhsStorage.deallocate(); xStorage.deallocate(); factoredMatrix.deallocate() }

    /// Forgets the kept factorization (another analysis may have factored since).
    func forgetFactorization() { factorInHand = false }

    /// Pointers offset so that index −1 (ground) is the first storage entry.
    private var matrixPointer: UnsafeMutablePointer<Double> { matrixStorage.baseAddress! + 1 }
    private var rhsPointer: UnsafeMutablePointer<Double> { rhsStorage.baseAddress! + 1 }
    private var xPointer: UnsafePointer<Double> { UnsafePointer(xStorage.baseAddress! + 1) }

    /// The present solution (the converged operating point after `solve`), ground excluded.
    var solution: UnsafeBufferPointer<Double> { UnsafeBufferPointer(x) }
    /// The solution as seen by devices (index −1 reads ground's 0).
    var solutionPointer: UnsafePointer<Double> { xPointer }

    func setSolution(_ values: UnsafePointer<Double>) {
        for i in 0..<n { xStorage[i + 1] = values[i] }
        xStorage[0] = 0
    }

    func setSolution(_ values: [Double]) {
        for i in 0..<n { xStorage[i + 1] = values[i] }
        xStorage[0] = 0
    }

    /// Loads every device at the present iterate into `matrix` and `rhs`.
    @discardableResult
    func load(mode: LoadMode, diagonalGmin: Double, sourceFactor: Double) -> Bool {
        var context = LoadContext(matrix: matrixPointer, rhs: rhsPointer, solution: xPointer, mode: mode, gmin: deviceGmin,
                                  sourceFactor: sourceFactor, reltol: options.reltol, abstol: options.abstol,
                                  transient: transient?.step)
        context.vntol = options.vntol
        // Zeroing by memset keeps the pattern; every device re-adds its part.
        matrixStorage.update(repeating: 0)
        rhsStorage.update(repeating: 0)
        // Unmanaged and borrowed from the buffer: no reference counting per device in the hot loop (the
        // `devices` array keeps every device alive).
        unmanagedDevices.withUnsafeBufferPointer { list in
            for k in 0..<list.count { list[k].device.load(&context) }
        }
        if diagonalGmin != 0 {
            for slot in circuit.nodeDiagonals { matrix[slot.index] += diagonalGmin }
        }
        for held in heldNodes {
            matrix[held.slot.index] += Solver.nodesetConductance
            rhs[held.unknown.index] += Solver.nodesetConductance * held.value
        }
        // ngspice holds `.nodeset` nodes with a large conductance while junctions are initialised.
        if mode == .initJunction {
            for nodeset in circuit.nodesets {
                matrix[nodeset.slot.index] += Solver.nodesetConductance
                rhs[nodeset.unknown.index] += Solver.nodesetConductance * nodeset.value
            }
        }
        return context.limited
    }

    /// Runs Newton from the present iterate; returns whether it converged within `maxIterations`, raised
    /// to `minimumIterations` as ngspice's NIiter does.
    func newton(maxIterations: Int, diagonalGmin: Double = 0, sourceFactor: Double = 1,
                initJunction: Bool = false) -> Bool {
        var mode: LoadMode = initJunction ? .initJunction : .float
        worstUnknown = nil; nonconvergedDevice = nil; singularColumn = nil
        for iteration in 1...max(Solver.minimumIterations, maxIterations) {
            iterations += 1
            let limited = load(mode: mode, diagonalGmin: diagonalGmin, sourceFactor: sourceFactor)
            // A linear transient keeps its factorization while the matrix stays bitwise the same.
            let keep = isLinear && transient != nil
            if !(keep && factorInHand && sameAsFactored()) {
                factorInHand = false
                do {
                    try circuit.lu.factor(matrix)
                } catch SparseLU.Failure.singular(let column) {
                    singularColumn = column
                    return false
                } catch {
                    return false
                }
                if keep {
                    _ = factoredMatrix.update(fromContentsOf: matrix)
                    factorInHand = true
                }
            }
            circuit.lu.solve(rhs)
            rhsStorage[0] = 0
            var finite = true
            for i in 0..<n where !rhs[i].isFinite { finite = false; break }
            if !finite { return false }
            if isLinear {
                // The solve is the answer; the charges follow it (a transient point's states).
                swap(&xStorage, &rhsStorage)
                if let step = transient?.step, step.integrating {
                    let context = LoadContext(matrix: matrixPointer, rhs: rhsPointer, solution: xPointer, mode: mode,
                                              gmin: deviceGmin, sourceFactor: sourceFactor, reltol: options.reltol,
                                              abstol: options.abstol, transient: step)
                    for device in chargeDevices { device.storeCharges(context) }
                }
                return true
            }
            let nodesConverged = iteration > 1 && mode == .float && !limited && unknownsConverged()
            swap(&xStorage, &rhsStorage)
            if nodesConverged {
                let context = LoadContext(matrix: matrixPointer, rhs: rhsPointer, solution: xPointer, mode: mode, gmin: deviceGmin,
                                          sourceFactor: sourceFactor, reltol: options.reltol, abstol: options.abstol,
                                          transient: transient?.step)
                var devicesConverged = true
                for device in devices where !device.converged(context) {
                    devicesConverged = false; nonconvergedDevice = device.name; break
                }
                if devicesConverged { return true }
            }
            if mode == .initJunction { mode = .float }
        }
        return false
    }

    /// Whether the loaded matrix equals the factored one bit for bit.
    private func sameAsFactored() -> Bool {
        memcmp(matrix.baseAddress!, factoredMatrix.baseAddress!, matrix.count * MemoryLayout<Double>.stride) == 0
    }

    /// ngspice's NIconvTest: each unknown within reltol of its size plus vntol (nodes) or abstol (branches).
    private func unknownsConverged() -> Bool {
        let reltol = options.reltol, vntol = options.vntol, abstol = options.abstol
        var worst = 0.0
        worstUnknown = nil
        circuit.isBranch.withUnsafeBufferPointer { branch in
            for i in 0..<n {
                let new = rhs[i], old = x[i]
                let tol = reltol * max(abs(new), abs(old)) + (branch[i] ? abstol : vntol)
                let ratio = abs(new - old) / tol
                if ratio > 1 && ratio > worst { worst = ratio; worstUnknown = i }
            }
        }
        return worstUnknown == nil
    }

    /// ngspice's NIiter raises any iteration limit below 100 to 100 ("some convergence issues that get
    /// resolved by increasing max iter"): itl1, itl2 and the homotopies' steps all run at least this many.
    static let minimumIterations = 100

    /// Device gmin (the junction shunt conductance devices add): `.options gmin`, raised only while
    /// true gmin stepping runs.
    private(set) var deviceGmin: Double

    /// Receives one line per homotopy step and per failed transient Newton run (`Simulator.convergenceTrace`).
    var trace: ((String) -> Void)?

    /// Newton, also returning how many iterations it took (what the homotopies adapt their steps to).
    private func iterate(_ limit: Int, diagonalGmin: Double = 0, sourceFactor: Double = 1, initJunction: Bool = false)
        -> (converged: Bool, iterations: Int) {
        let before = iterations
        let ok = newton(maxIterations: limit, diagonalGmin: diagonalGmin,
                        sourceFactor: sourceFactor, initJunction: initJunction)
        return (ok, iterations - before)
    }

    /// Solves the operating point as ngspice's CKTop does: plain Newton (itl1), then dynamic gmin stepping,
    /// then true gmin stepping (the devices' own gmin), then Gillespie's source stepping, throwing a message
    /// that names what failed to converge.
    func operatingPoint(initJunction: Bool = true) throws {
        let saved = Array(x[0..<n])
        if iterate(options.itl1, initJunction: initJunction).converged { return }
        let firstFailure = failureDescription()
        trace?("plain Newton failed: \(firstFailure)")
        setSolution(saved)
        if gminStepping(initJunction: initJunction) { return }
        if trueGminStepping(initJunction: initJunction) { return }
        if sourceStepping(initJunction: initJunction) { return }
        if let column = singularColumn {
            throw SimulationError(.singularMatrix, "the circuit matrix is singular at \(circuit.describe(column))",
                                  subject: column < n ? circuit.unknownNames[column] : nil)
        }
        throw SimulationError(.noConvergence,
                              "operating point did not converge (plain Newton, gmin stepping, true gmin stepping and source stepping all failed); \(firstFailure)",
                              subject: worstUnknown.map { circuit.unknownNames[$0] } ?? nonconvergedDevice)
    }

    func failureDescription() -> String {
        if let column = singularColumn { return "matrix singular at \(circuit.describe(column))" }
        if let worst = worstUnknown { return "\(circuit.describe(worst)) still moving after \(max(options.itl1, Solver.minimumIterations)) iterations" }
        if let device = nonconvergedDevice { return "device '\(device)' current not converged" }
        return "iteration limit \(max(options.itl1, Solver.minimumIterations)) reached"
    }

    /// ngspice's gmin stepping ladder (dynamic_gmin and new_gmin): from 1e-2 / 10 down to the target,
    /// the factor growing after a step that took at most itl2/4 iterations, shrinking after one that took
    /// more than 3·itl2/4, and its fourth root taken after a failure (from the last good solution); ends
    /// with a plain Newton (itl1) at the target. `apply` sets the stepped conductance.
    private func gminLadder(initJunction: Bool, name: String, apply: (Double) -> Void, finish: () -> Void,
                            newton step: (Bool) -> (converged: Bool, iterations: Int)) -> Bool {
        let target = max(options.gmin, 0)
        let maximumFactor = 10.0
        var factor = maximumFactor
        var oldGmin = 1e-2
        var gmin = oldGmin / factor
        xStorage.update(repeating: 0)
        var saved = Array(x[0..<n])
        var first = initJunction
        let quarter = options.itl2 / 4, threeQuarters = 3 * options.itl2 / 4
        var steps = 0
        while steps < 1000 {
            steps += 1
            apply(gmin)
            let (converged, used) = step(first)
            trace?("\(name) gmin \(gmin): \(converged ? "converged" : "failed") after \(used) iterations")
            if converged {
                first = false
                if gmin <= target { break }
                saved = Array(x[0..<n])
                if used <= quarter { factor = min(factor * factor.squareRoot(), maximumFactor) }
                if used > threeQuarters { factor = max(factor.squareRoot(), 1.00005) }
                oldGmin = gmin
                if gmin < factor * target {
                    factor = gmin / target
                    gmin = target
                } else {
                    gmin /= factor
                }
            } else {
                if factor < 1.00005 { break }
                factor = factor.squareRoot().squareRoot()
                gmin = oldGmin / factor
                setSolution(saved)
            }
        }
        finish()
        let done = iterate(options.itl1).converged
        trace?("\(name) final Newton: \(done ? "converged" : "failed")")
        return done
    }

    /// ngspice's dynamic gmin stepping: a shunt conductance on every node diagonal, stepped down.
    private func gminStepping(initJunction: Bool) -> Bool {
        var diagonal = 0.0
        return gminLadder(initJunction: initJunction, name: "dynamic", apply: { diagonal = $0 }, finish: { diagonal = 0 },
                          newton: { self.iterate(self.options.itl2, diagonalGmin: diagonal, initJunction: $0) })
    }

    /// ngspice's true gmin stepping (new_gmin): the devices' own gmin (junction shunts) stepped down.
    private func trueGminStepping(initJunction: Bool) -> Bool {
        gminLadder(initJunction: initJunction, name: "true", apply: { self.deviceGmin = $0 },
                   finish: { self.deviceGmin = self.options.gmin }, newton: { self.iterate(self.options.itl2, initJunction: $0) })
    }

    /// Gillespie's source stepping as ngspice runs it: every independent source scaled to 0 (with a
    /// ten-decade gmin ladder from gmin·1e10 if that alone fails), then raised by a step that starts at
    /// 0.1 %, grows ×1.5 after a quick step, halves after a slow one and shrinks ten-fold (from the last
    /// good solution) after a failure, until the sources are whole.
    private func sourceStepping(initJunction: Bool) -> Bool {
        xStorage.update(repeating: 0)
        let quarter = options.itl2 / 4, threeQuarters = 3 * options.itl2 / 4
        var converged = iterate(options.itl2, sourceFactor: 0, initJunction: initJunction).converged
        var first = initJunction && !converged
        trace?("source stepping at 0: \(converged ? "converged" : "failed")")
        if !converged {
            var diagonal = max(options.gmin, 0) * 1e10
            for _ in 0...10 {
                converged = iterate(options.itl2, diagonalGmin: diagonal, sourceFactor: 0, initJunction: first).converged
                trace?("source stepping at 0, gmin \(diagonal): \(converged ? "converged" : "failed")")
                if !converged { break }
                first = false
                diagonal /= 10
            }
        }
        guard converged else { return false }
        var reached = 0.0, raise = 0.001
        var factor = raise
        var saved = Array(x[0..<n])
        repeat {
            let (ok, used) = iterate(options.itl2, sourceFactor: factor)
            trace?("source factor \(factor): \(ok ? "converged" : "failed") after \(used) iterations")
            if ok {
                reached = factor
                saved = Array(x[0..<n])
                factor = reached + raise
                if used <= quarter { raise *= 1.5 }
                if used > threeQuarters { raise *= 0.5 }
            } else {
                if factor - reached < 1e-8 { break }
                raise = min(raise / 10, 0.01)
                factor = reached
                setSolution(saved)
            }
            factor = min(factor, 1)
        } while raise >= 1e-7 && reached < 1
        return reached == 1
    }
}
