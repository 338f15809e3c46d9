#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic Levenberg–Marquardt least-squares solver with a forward-difference Jacobian.
///
/// Parameters should be scaled so that a step of 1 is a large change (the fitter maps physical values
/// through per-parameter scales and logarithms); the damping is Marquardt's, λ·diag(JᵀJ), raised ×4 on a
/// rejected step and lowered ÷3 on an accepted one. A residual function returns nil (or non-finite
/// values) where the model cannot be evaluated; such a step is rejected.
public struct LevenbergMarquardt: Sendable {
    public var maxIterations: Int
    /// Stop when the relative cost decrease of an accepted step falls below this.
    public var relativeTolerance: Double
    /// Forward-difference step in scaled parameter units.
    public var step: Double
    /// Optional box bounds per scaled parameter (nil: unbounded).
    public var lower: [Double]?
    public var upper: [Double]?

    public struct Result: Sendable {
        public var parameters: [Double]
        /// ½·Σr² at the start and at the end.
        public var initialCost: Double
        public var cost: Double
        public var iterations: Int
        public var evaluations: Int
    }

    public init(maxIterations: Int = 50, relativeTolerance: Double = 1e-6, step: Double = 1e-5,
                lower: [Double]? = nil, upper: [Double]? = nil) {
        self.maxIterations = maxIterations; self.relativeTolerance = relativeTolerance; self.step = step
        self.lower = lower; self.upper = upper
    }

    /// Minimizes ½·Σ residuals(x)² from `start`.
    public func minimize(start: [Double], residuals: ([Double]) -> [Double]?) -> Result {
        let n = start.count
        var evaluations = 0
        func cost(_ r: [Double]?) -> Double {
            guard let r else { return .infinity }
            var s = 0.0
            for v in r { s += v * v }
            return s.isFinite ? 0.5 * s : .infinity
        }
        func clamp(_ x: [Double]) -> [Double] {
            var y = x
            for i in 0..<n {
                if let lo = lower?[i] { y[i] = max(y[i], lo) }
                if let hi = upper?[i] { y[i] = min(y[i], hi) }
            }
            return y
        }
        var x = clamp(start)
        var r = residuals(x); evaluations += 1
        var f = cost(r)
        let initial = f
        var lambda = 1e-3
        var iteration = 0
        guard f.isFinite, let r0 = r else {
            return Result(parameters: x, initialCost: initial, cost: f, iterations: 0, evaluations: evaluations)
        }
        let m = r0.count
        while iteration < maxIterations {
            iteration += 1
            guard let rc = r else { break }
            // Forward-difference Jacobian, column by column.
            var jac = [[Double]](repeating: [], count: n)
            for j in 0..<n {
                var xp = x
                let h = step * max(1, abs(x[j]))
                xp[j] += h
                evaluations += 1
                guard let rp = residuals(xp), rp.count == m else { jac[j] = [Double](repeating: 0, count: m); continue }
                var col = [Double](repeating: 0, count: m)
                for i in 0..<m { let d = (rp[i] - rc[i]) / h; col[i] = d.isFinite ? d : 0 }
                jac[j] = col
            }
            var jtj = [Double](repeating: 0, count: n * n)
            var jtr = [Double](repeating: 0, count: n)
            for a in 0..<n {
                let ca = jac[a]
                var s = 0.0
                for i in 0..<m { s += ca[i] * rc[i] }
                jtr[a] = s
                for b in a..<n {
                    let cb = jac[b]
                    var t = 0.0
                    for i in 0..<m { t += ca[i] * cb[i] }
                    jtj[a * n + b] = t; jtj[b * n + a] = t
                }
            }
            var accepted = false
            for _ in 0..<12 {
                var a = jtj
                for i in 0..<n { a[i * n + i] += lambda * max(jtj[i * n + i], 1e-12) }
                guard let delta = Self.solveSymmetric(a, jtr.map { -$0 }, n) else { lambda *= 4; continue }
                let xn = clamp(zip(x, delta).map { $0 + $1 })
                let rn = residuals(xn); evaluations += 1
                let fn = cost(rn)
                if fn < f {
                    let decrease = (f - fn) / max(f, 1e-300)
                    x = xn; r = rn; f = fn
                    lambda = max(lambda / 3, 1e-9)
                    accepted = true
                    if decrease < relativeTolerance { iteration = maxIterations }
                    break
                }
                lambda *= 4
            }
            if !accepted { break }
        }
        return Result(parameters: x, initialCost: initial, cost: f, iterations: iteration, evaluations: evaluations)
    }

    /// Cholesky solve of a symmetric positive definite n×n system; nil when it is not positive definite.
    static func solveSymmetric(_ a: [Double], _ b: [Double], _ n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0, s.isFinite else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        var y = b
        for i in 0..<n {
            var s = y[i]
            for k in 0..<i { s -= l[i * n + k] * y[k] }
            y[i] = s / l[i * n + i]
        }
        var x = y
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = x[i]
            for k in (i + 1)..<n { s -= l[k * n + i] * x[k] }
            x[i] = s / l[i * n + i]
        }
        return x
    }
}
