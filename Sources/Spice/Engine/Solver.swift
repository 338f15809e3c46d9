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
        var context = LoadContext(matrix: matrixPointer, rhs: rhsPointer, solution: xPointer, mode: mode, gmin: options.gmin,
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

    /// Runs Newton from the present iterate; returns whether it converged within `maxIterations`.
    func newton(maxIterations: Int, diagonalGmin: Double = 0, sourceFactor: Double = 1,
                initJunction: Bool = false) -> Bool {
        var mode: LoadMode = initJunction ? .initJunction : .float
        worstUnknown = nil; nonconvergedDevice = nil; singularColumn = nil
        for iteration in 1...max(1, maxIterations) {
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
                                              gmin: options.gmin, sourceFactor: sourceFactor, reltol: options.reltol,
                                              abstol: options.abstol, transient: step)
                    for device in chargeDevices { device.storeCharges(context) }
                }
                return true
            }
            let nodesConverged = iteration > 1 && mode == .float && !limited && unknownsConverged()
            swap(&xStorage, &rhsStorage)
            if nodesConverged {
                let context = LoadContext(matrix: matrixPointer, rhs: rhsPointer, solution: xPointer, mode: mode, gmin: options.gmin,
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

    /// Solves the operating point: plain Newton, then dynamic gmin stepping, then source stepping
    /// (ngspice's order), throwing a message that names what failed to converge.
    func operatingPoint(initJunction: Bool = true) throws {
        let saved = Array(x[0..<n])
        if newton(maxIterations: options.itl1, initJunction: initJunction) { return }
        let firstFailure = failureDescription()
        setSolution(saved)
        if gminStepping(initJunction: initJunction) { return }
        setSolution(saved)
        if sourceStepping() { return }
        if let column = singularColumn {
            throw SimulationError(.singularMatrix, "the circuit matrix is singular at \(circuit.describe(column))",
                                  subject: column < n ? circuit.unknownNames[column] : nil)
        }
        throw SimulationError(.noConvergence,
                              "operating point did not converge (plain Newton, gmin stepping and source stepping all failed); \(firstFailure)",
                              subject: worstUnknown.map { circuit.unknownNames[$0] } ?? nonconvergedDevice)
    }

    func failureDescription() -> String {
        if let column = singularColumn { return "matrix singular at \(circuit.describe(column))" }
        if let worst = worstUnknown { return "\(circuit.describe(worst)) still moving after \(options.itl1) iterations" }
        if let device = nonconvergedDevice { return "device '\(device)' current not converged" }
        return "iteration limit \(options.itl1) reached"
    }

    /// ngspice's dynamic gmin stepping: a shunt conductance on every node, reduced while Newton keeps up.
    private func gminStepping(initJunction: Bool) -> Bool {
        let target = max(options.gmin, 0)
        var factor = 10.0
        var oldGmin = 1e-2
        var gmin = oldGmin / factor
        var saved = Array(x[0..<n])
        var first = initJunction
        var steps = 0
        while steps < 500 {
            steps += 1
            if newton(maxIterations: options.itl2, diagonalGmin: gmin, initJunction: first) {
                first = false
                if gmin <= target { break }
                saved = Array(x[0..<n])
                factor = min(factor * factor.squareRoot(), 10)
                oldGmin = gmin
                gmin = gmin < factor * target ? target : gmin / factor
            } else {
                factor = factor.squareRoot().squareRoot()
                if factor < 1.00005 { return false }
                setSolution(saved)
                gmin = oldGmin / factor
            }
        }
        return newton(maxIterations: options.itl1)
    }

    /// Source stepping: ramps every independent source from 0 to its value, warm-starting each step.
    private func sourceStepping() -> Bool {
        xStorage.update(repeating: 0)
        guard newton(maxIterations: options.itl1, sourceFactor: 0, initJunction: true) else { return false }
        var reached = 0.0, step = 0.001
        var saved = Array(x[0..<n])
        var steps = 0
        while reached < 1, steps < 2000 {
            steps += 1
            let factor = min(1, reached + step)
            if newton(maxIterations: options.itl2, sourceFactor: factor) {
                reached = factor; saved = Array(x[0..<n])
                step = min(step * 2, 0.5)
            } else {
                setSolution(saved)
                step /= 10
                if step < 1e-7 { return false }
            }
        }
        return reached >= 1 && newton(maxIterations: options.itl1)
    }
}
