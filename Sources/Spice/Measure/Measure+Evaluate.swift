import Foundation

/// A measurement's value and the extra fields ngspice prints after it (`at=`, `from=`/`to=`, `targ=`/`trig=`).
public struct MeasureResult: Sendable {
    public var name: String
    public var value: Double
    public var extras: [(String, Double)]
    /// ngspice 39 prints WHEN, RMS, INTEG and PARAM results with five digits after one more space
    /// (`x =   7.50000e-01 from=  1.13000e-01`), the others with `%e`.
    public var short = false

    /// The line ngspice prints: `name                =  value extras...`.
    public var line: String {
        func text(_ x: Double) -> String { short ? String(format: "%.5e", x) : ControlFormat.measureValue(x) }
        var s = ControlFormat.padded(name, 20) + (short ? "=   " : "=  ") + text(value)
        for (key, x) in extras { s += " \(key)=  \(text(x))" }
        return s
    }
}

extension Measure {
    /// What the evaluator needs from the plot being measured.
    public struct Data {
        /// The plot's scale (sweep values, frequencies, times).
        public var scale: [Double]
        /// The kind of plot: `dc`, `ac`, `tran`, `noise`.
        public var kind: String
        /// Evaluates an operand to one real value per scale point (complex values as magnitudes).
        public var vector: (ControlExpression) throws -> [Double]
        /// Evaluates a value (`at=gbw`, `val=0.5`) to a number.
        public var scalar: (ControlExpression) throws -> Double

        public init(scale: [Double], kind: String, vector: @escaping (ControlExpression) throws -> [Double],
                    scalar: @escaping (ControlExpression) throws -> Double) {
            self.scale = scale; self.kind = kind; self.vector = vector; self.scalar = scalar
        }
    }

    func failure(_ what: String) -> ControlError {
        ControlError(.measurementFailed, "measure \(name) \(what) failed: \(text)", location: location)
    }

    /// Computes the measurement with ngspice's rules: linear interpolation between points, crossings
    /// counted from the first point (after TD), FROM/TO windows on the scale.
    public func evaluate(_ data: Data) throws -> MeasureResult {
        let s = data.scale
        func operand(_ e: ControlExpression) throws -> [Double] {
            let v = try data.vector(e)
            guard v.count == s.count, !s.isEmpty else {
                throw failure("(operand has \(v.count) points, scale \(s.count))")
            }
            return v
        }
        switch spec {
        case .param(let e):
            return MeasureResult(name: name, value: try data.scalar(e), extras: [], short: true)
        case .findAt(let e, let at):
            let y = try operand(e), x = try data.scalar(at)
            guard let value = Measure.interpolate(y, s, at: x) else { throw failure("find at=\(x): out of interval") }
            return MeasureResult(name: name, value: value, extras: [])
        case .when(let c):
            guard let x = try crossing(c, data) else { throw failure("when: out of interval") }
            return MeasureResult(name: name, value: x, extras: [], short: true)
        case .findWhen(let e, let c):
            let y = try operand(e)
            guard let x = try crossing(c, data), let value = Measure.interpolate(y, s, at: x) else {
                throw failure("find when: out of interval")
            }
            return MeasureResult(name: name, value: value, extras: [])
        case .derivativeAt(let e, let at):
            let y = try operand(e), x = try data.scalar(at)
            guard let value = Measure.derivative(y, s, at: x) else { throw failure("deriv at=\(x): out of interval") }
            return MeasureResult(name: name, value: value, extras: [])
        case .derivativeWhen(let e, let c):
            let y = try operand(e)
            guard let x = try crossing(c, data), let value = Measure.derivative(y, s, at: x) else {
                throw failure("deriv when: out of interval")
            }
            return MeasureResult(name: name, value: value, extras: [])
        case .trigTarg(let trig, let targ):
            guard let t1 = try crossing(trig, data) else { throw failure("trig: out of interval") }
            guard let t2 = try crossing(targ, data) else { throw failure("targ: out of interval") }
            return MeasureResult(name: name, value: t2 - t1, extras: [("targ", t2), ("trig", t1)])
        case .statistic(let statistic, let e, let fromExpr, let toExpr):
            let y = try operand(e)
            let from = try fromExpr.map { try data.scalar($0) }, to = try toExpr.map { try data.scalar($0) }
            return try self.statistic(statistic, y, s, from: from, to: to, kind: data.kind)
        }
    }

    /// Linear interpolation of `y` at scale value `x`; nil outside the scale.
    static func interpolate(_ y: [Double], _ s: [Double], at x: Double) -> Double? {
        guard let k = bracket(s, x) else { return nil }
        if k == s.count - 1 || s[k + 1] == s[k] { return y[k] }
        return y[k] + (y[k + 1] - y[k]) * (x - s[k]) / (s[k + 1] - s[k])
    }

    /// The slope of the segment holding `x`.
    static func derivative(_ y: [Double], _ s: [Double], at x: Double) -> Double? {
        guard s.count >= 2, var k = bracket(s, x) else { return nil }
        if k == s.count - 1 { k -= 1 }
        guard s[k + 1] != s[k] else { return nil }
        return (y[k + 1] - y[k]) / (s[k + 1] - s[k])
    }

    /// The index k with x between s[k] and s[k+1] (either sweep direction), or the last index if x is it.
    static func bracket(_ s: [Double], _ x: Double) -> Int? {
        guard !s.isEmpty, x.isFinite else { return nil }
        if s.count == 1 { return s[0] == x ? 0 : nil }
        for k in 0..<(s.count - 1) where (s[k] <= x && x <= s[k + 1]) || (s[k] >= x && x >= s[k + 1]) { return k }
        return nil
    }

    /// The scale value where a condition is met, by ngspice's counting and linear interpolation.
    func crossing(_ c: Condition, _ data: Data) throws -> Double? {
        let level = try data.scalar(c.rhs)
        if c.isFixedPoint { return level }
        guard let lhs = c.lhs else { return nil }
        let y = try data.vector(lhs), s = data.scale
        guard y.count == s.count, s.count >= 2 else { return nil }
        // TD delays only transient measurements; ngspice ignores it on DC and AC sweeps.
        var delay = -Double.infinity
        if data.kind == "tran", let d = c.delay { delay = try data.scalar(d) }
        let from = try c.from.map { try data.scalar($0) } ?? -Double.infinity
        let to = try c.to.map { try data.scalar($0) } ?? Double.infinity
        let start = max(delay, from)
        var count = 0
        var found: Double?
        for k in 1..<s.count {
            guard s[k] >= start, s[k] <= to || s[k - 1] < to else { continue }
            let a = y[k - 1], b = y[k]
            let rise = a < level && b >= level, fall = a > level && b <= level
            let hit: Bool
            switch c.edge {
            case .rise: hit = rise
            case .fall: hit = fall
            case .cross: hit = rise || fall
            }
            guard hit else { continue }
            let x = b == a ? s[k] : s[k - 1] + (level - a) * (s[k] - s[k - 1]) / (b - a)
            guard x >= start, x <= to else { continue }
            count += 1
            if let n = c.occurrence {
                if count == n { return x }
            } else {
                found = x
            }
        }
        return found
    }

    /// MAX, MIN, PP, AVG, RMS, INTEG over the FROM/TO window with ngspice 39's rules: MAX/MIN/PP/AVG look
    /// at the points with from ≤ s ≤ to; RMS/INTEG integrate the piecewise-linear curve from FROM to TO
    /// (interpolated ends).
    func statistic(_ statistic: Statistic, _ y: [Double], _ s: [Double], from: Double?, to: Double?,
                   kind: String) throws -> MeasureResult {
        let lo = from ?? -Double.infinity, hi = to ?? Double.infinity
        switch statistic {
        case .max, .min, .pp:
            let indices = s.indices.filter { s[$0] >= lo && s[$0] <= hi }
            guard let first = indices.first else {
                throw failure("\(statistic.rawValue): no points between from and to")
            }
            if statistic == .pp {
                let values = indices.map { y[$0] }
                return MeasureResult(name: name, value: values.max()! - values.min()!,
                                     extras: [("from", from ?? -1e99), ("to", to ?? 1e99)])
            }
            var best = first
            for k in indices where statistic == .max ? y[k] > y[best] : y[k] < y[best] { best = k }
            return MeasureResult(name: name, value: y[best], extras: [("at", s[best])])
        case .avg:
            // ngspice 39 averages over the points with from ≤ s ≤ to (trapezoids, no interpolated ends)
            // and prints as TO the point where its scan stopped.
            let indices = s.indices.filter { s[$0] >= lo && s[$0] <= hi }
            guard let first = indices.first, let last = indices.last else {
                throw failure("avg: no points between from and to")
            }
            var area = 0.0
            for (a, b) in zip(indices, indices.dropFirst()) { area += (y[a] + y[b]) / 2 * (s[b] - s[a]) }
            let span = s[last] - s[first]
            // On DC plots ngspice scans every point, so it stops at the last one.
            let stopped = kind == "dc" ? s[s.count - 1] : (s.first { $0 > hi } ?? s[s.count - 1])
            return MeasureResult(name: name, value: span == 0 ? y[first] : area / span,
                                 extras: [("from", from ?? s[first]), ("to", stopped)])
        case .rms, .integ:
            var (xs, ys) = (s, y)
            if let f = s.first, let l = s.last, f > l { xs.reverse(); ys.reverse() }
            guard let first = xs.first, let last = xs.last else { throw failure("\(statistic.rawValue): empty plot") }
            let a = max(lo, first)
            let b = min(hi, last)
            guard a <= b, let ya = Measure.interpolate(ys, xs, at: a), let yb = Measure.interpolate(ys, xs, at: b) else {
                throw failure("\(statistic.rawValue): from/to outside the sweep")
            }
            var px = [a], py = [ya]
            for k in xs.indices where xs[k] > a && xs[k] < b { px.append(xs[k]); py.append(ys[k]) }
            if b > a { px.append(b); py.append(yb) }
            var area = 0.0
            for k in 1..<max(1, px.count) {
                let (u, v) = statistic == .rms ? (py[k - 1] * py[k - 1], py[k] * py[k]) : (py[k - 1], py[k])
                area += (u + v) / 2 * (px[k] - px[k - 1])
            }
            let span = b - a
            let value = statistic == .integ ? area : (span == 0 ? abs(ya) : (area / span).squareRoot())
            return MeasureResult(name: name, value: value, extras: [("from", a), ("to", b)], short: true)
        }
    }
}
