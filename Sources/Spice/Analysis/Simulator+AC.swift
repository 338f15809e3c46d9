#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Simulator {
    /// `.ac`: small-signal response around the operating point, G + jωC assembled per frequency from the
    /// Jacobian and the capacitances stored once at the operating point.
    public func ac(_ sweep: FrequencySweep) throws -> Plot {
        let frequencies = try Simulator.frequencies(sweep, reltol: deck.options.reltol)
        try solveOperatingPoint()
        let n = circuit.size, nnz = circuit.nonzeros
        let (g, c) = smallSignalMatrices()
        var rhsRe = [Double](repeating: 0, count: n + 1), rhsIm = rhsRe
        rhsRe.withUnsafeMutableBufferPointer { re in
            rhsIm.withUnsafeMutableBufferPointer { im in
                let context = ACSourceContext(re: re.baseAddress! + 1, im: im.baseAddress! + 1)
                for device in circuit.devices { device.loadACSources(context) }
            }
        }
        let outs = outputs
        var re = [[Double]](repeating: [], count: outs.count), im = re
        for k in 0..<outs.count { re[k].reserveCapacity(frequencies.count); im[k].reserveCapacity(frequencies.count) }
        var values = [Double](repeating: 0, count: 2 * nnz)
        var b = [Double](repeating: 0, count: 2 * n)
        for f in frequencies {
            try factorSmallSignal(&values, g: g, c: c, at: f, matrixName: "AC matrix")
            for i in 0..<n { b[2 * i] = rhsRe[i + 1]; b[2 * i + 1] = rhsIm[i + 1] }
            values.withUnsafeMutableBufferPointer { v in
                b.withUnsafeMutableBufferPointer { circuit.lu.solveComplex($0, values: v) }
            }
            for (k, out) in outs.enumerated() {
                re[k].append(b[2 * out.unknown.index]); im[k].append(b[2 * out.unknown.index + 1])
            }
        }
        var vectors = [Vector(name: "frequency", type: .frequency,
                              values: .complex(re: frequencies, im: [Double](repeating: 0, count: frequencies.count)))]
        for (k, out) in outs.enumerated() {
            vectors.append(Vector(name: out.name, type: out.quantity, values: .complex(re: re[k], im: im[k])))
        }
        return Plot(name: nextPlotName("ac"), title: "AC Analysis", vectors: vectors)
    }

    /// G and C of the small-signal system around the operating point, shared by `.ac` and `.noise`: G is
    /// the Jacobian the small-signal load left in the solver's matrix, C the capacitances loaded once
    /// (one slot ahead, as device slots count from 1).
    func smallSignalMatrices() -> (g: [Double], c: [Double]) {
        let g = Array(solver.matrix[0..<circuit.nonzeros])
        var c = [Double](repeating: 0, count: circuit.nonzeros + 1)
        c.withUnsafeMutableBufferPointer { cb in
            let context = ReactiveContext(matrix: cb.baseAddress! + 1, solution: solver.solutionPointer)
            for device in circuit.devices { device.loadReactive(context) }
        }
        return (g, c)
    }

    /// Assembles G + j·2πf·C into `values` (re/im interleaved per nonzero) and factors it; a singular
    /// matrix is reported as `the <matrixName> is singular at <unknown> at <f> Hz`.
    func factorSmallSignal(_ values: inout [Double], g: [Double], c: [Double], at f: Double,
                           matrixName: String) throws {
        let n = circuit.size, omega = 2 * Double.pi * f
        values.withUnsafeMutableBufferPointer { v in
            for k in 0..<g.count { v[2 * k] = g[k]; v[2 * k + 1] = omega * c[k + 1] }
        }
        do {
            try values.withUnsafeMutableBufferPointer { try circuit.lu.factorComplex($0) }
        } catch SparseLU.Failure.singular(let column) {
            let at = column >= 0 && column < n ? " at \(circuit.describe(column))" : ""
            throw SimulationError(.singularMatrix, "the \(matrixName) is singular\(at) at \(f) Hz",
                                  subject: column >= 0 && column < n ? circuit.unknownNames[column] : nil)
        } catch {
            throw SimulationError(.singularMatrix, "the \(matrixName) could not be factored at \(f) Hz (\(error))")
        }
    }

    /// The frequency points exactly as ngspice's AC analysis steps them (multiplicative for dec/oct, with
    /// its tolerance on the stop frequency).
    static func frequencies(_ sweep: FrequencySweep, reltol: Double) throws -> [Double] {
        guard sweep.points >= 1, sweep.start > 0 || sweep.kind == .lin, sweep.stop >= sweep.start,
              sweep.start.isFinite, sweep.stop.isFinite else {
            throw SimulationError(.badValue, ".ac \(sweep.kind.rawValue) \(sweep.points) \(sweep.start) \(sweep.stop): needs points ≥ 1 and 0 < fstart ≤ fstop")
        }
        var result: [Double] = []
        switch sweep.kind {
        case .dec, .oct:
            let delta = exp(log(sweep.kind == .dec ? 10.0 : 2.0) / Double(sweep.points))
            let tolerance = delta * sweep.stop * reltol
            var f = sweep.start
            while f <= sweep.stop + tolerance, result.count < 10_000_000 {
                result.append(f); f *= delta
            }
        case .lin:
            if sweep.points == 1 { return [sweep.start] }
            let delta = (sweep.stop - sweep.start) / Double(sweep.points - 1)
            let tolerance = delta * reltol
            var f = sweep.start
            while f <= sweep.stop + tolerance, result.count < sweep.points { result.append(f); f += delta }
        }
        return result
    }
}
