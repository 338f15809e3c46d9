#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

extension ControlSession {
    /// Evaluates an expression against the current plot (plot-qualified names reach other plots).
    public func evaluate(_ expression: ControlExpression) throws -> ControlVector {
        try evaluate(expression, plot: current)
    }

    /// Parses and evaluates expression text against the current plot.
    public func evaluate(_ text: String) throws -> ControlVector {
        var value = try evaluate(try ControlExpression.parse(text))
        value.name = text.trimmingWhitespace()
        return value
    }

    func scale(ofPlot index: Int) -> Vector? {
        let plot = plots[index]
        let kind = ControlSession.kind(of: plot)
        // The integrated-noise plot holds single values and no scale.
        if kind == "noise", plot.vectors.first?.type != .frequency { return nil }
        return ["dc", "ac", "tran", "noise", "sp"].contains(kind) ? plot.vectors.first : nil
    }

    func plotIndex(named name: String) -> Int? {
        plots.lastIndex { $0.name.lowercased() == name.lowercased() }
    }

    /// Finds a vector by ngspice's rules: exact name, then `v(name)`, `name#branch` as `i(name)`, a plot
    /// prefix, the `const` plot, measurement results, then `@device[parameter]` from the simulator.
    func lookup(_ name: String, plot index: Int) throws -> ControlVector {
        let plot = plots[index]
        let scale = scale(ofPlot: index)
        if let v = plot.vector(named: name) { return ControlVector(v, scale: scale) }
        if let v = plot.vector(named: "v(\(name))") { return ControlVector(v, scale: scale) }
        if name.hasSuffix("#branch"), let v = plot.vector(named: "i(\(name.dropLast(7)))") {
            return ControlVector(v, scale: scale)
        }
        if let dot = name.firstIndex(of: "."), let other = plotIndex(named: String(name[..<dot])) {
            return try lookup(String(name[name.index(after: dot)...]), plot: other)
        }
        if let v = plots[0].vector(named: name) { return ControlVector(v, scale: nil) }
        if let m = measurements[name] { return ControlVector.scalar(m, name: name) }
        if name.hasPrefix("@"), let open = name.firstIndex(of: "["), name.hasSuffix("]") {
            let device = String(name[name.index(after: name.startIndex)..<open])
            let parameter = String(name[name.index(after: open)..<name.index(before: name.endIndex)])
            if let sim = try? simulator(), let value = sim.deviceParameter(device, parameter) {
                return ControlVector.scalar(value, name: name)
            }
            throw ControlError(.unknownVector, "no device parameter '\(name)' (device '\(device)', parameter '\(parameter)')")
        }
        throw ControlError(.unknownVector, "no such vector '\(name)' in plot \(plot.name)")
    }

    func nodeVoltage(_ node: String, plot index: Int) throws -> ControlVector {
        if node == "0" || node == "gnd" {
            let n = scale(ofPlot: index)?.values.count ?? 1
            return ControlVector(name: "0", re: [Double](repeating: 0, count: n), scale: scale(ofPlot: index))
        }
        let plot = plots[index]
        if let v = plot.vector(named: "v(\(node))") { return ControlVector(v, scale: scale(ofPlot: index)) }
        throw ControlError(.unknownVector, "no such vector 'v(\(node))' in plot \(plot.name)")
    }

    func evaluate(_ expression: ControlExpression, plot index: Int) throws -> ControlVector {
        switch expression {
        case .number(let x):
            return ControlVector.scalar(x, name: "\(x)")
        case .name(_, let name):
            return try lookup(name, plot: index)
        case .node(let plotName, let function, let arguments):
            var target = index
            if let plotName {
                guard let found = plotIndex(named: plotName) else {
                    throw ControlError(.unknownVector, "no such plot '\(plotName)'")
                }
                target = found
            }
            var value: ControlVector
            if function == "i" {
                guard arguments.count == 1 else { throw ControlError(.syntax, "i() takes one source name") }
                let plot = plots[target]
                guard let v = plot.vector(named: "i(\(arguments[0]))") else {
                    throw ControlError(.unknownVector, "no such vector 'i(\(arguments[0]))' in plot \(plot.name)")
                }
                value = ControlVector(v, scale: scale(ofPlot: target))
            } else {
                value = try nodeVoltage(arguments[0], plot: target)
                if arguments.count == 2 {
                    value = try ControlMath.binary("-", value, try nodeVoltage(arguments[1], plot: target))
                }
            }
            value.name = "\(function)(\(arguments.joined(separator: ",")))"
            switch function {
            case "v", "i": return value
            case "vdb": return try ControlMath.call("db", [value], degrees: degrees)
            case "vp", "vph": return try ControlMath.call("ph", [value], degrees: degrees)
            case "vm", "vmag": return try ControlMath.call("mag", [value], degrees: degrees)
            case "vr", "vreal": return try ControlMath.call("real", [value], degrees: degrees)
            default: return try ControlMath.call("imag", [value], degrees: degrees)
            }
        case .call(let name, let arguments):
            let values = try arguments.map { try evaluate($0, plot: index) }
            return try ControlMath.call(name, values, degrees: degrees)
        case .negate(let inner):
            return try ControlMath.binary("-", ControlVector.scalar(0, name: "0"), try evaluate(inner, plot: index))
        case .not(let inner):
            let v = try evaluate(inner, plot: index)
            return ControlVector(name: v.name, re: v.re.map { $0 == 0 ? 1 : 0 }, scale: v.scale)
        case .binary(let op, let a, let b):
            return try ControlMath.binary(op, try evaluate(a, plot: index), try evaluate(b, plot: index))
        case .index(let base, let lo, let hi):
            let v = try evaluate(base, plot: index)
            let first = try ControlMath.integer(try evaluate(lo, plot: index), what: "index")
            let last = try hi.map { try ControlMath.integer(try evaluate($0, plot: index), what: "index") } ?? first
            guard first >= 0, last >= first, last < v.count else {
                throw ControlError(.syntax, "index [\(first)\(hi == nil ? "" : ",\(last)")] out of range for '\(v.name)' of length \(v.count)")
            }
            var scale = v.scale
            if let s = scale, s.values.count > last {
                switch s.values {
                case .real(let r): scale = Vector(name: s.name, type: s.type, values: .real(Array(r[first...last])))
                case .complex(let r, let i):
                    scale = Vector(name: s.name, type: s.type, values: .complex(re: Array(r[first...last]), im: Array(i[first...last])))
                }
            }
            return ControlVector(name: v.name, re: Array(v.re[first...last]), im: v.im.map { Array($0[first...last]) },
                                 type: v.type, scale: scale)
        }
    }
}

/// Vector arithmetic with ngspice's rules: length-1 operands broadcast, complex where either side is.
enum ControlMath {
    static func integer(_ v: ControlVector, what: String) throws -> Int {
        guard v.count >= 1, v.re[0].isFinite, abs(v.re[0]) < 1e15 else {
            throw ControlError(.syntax, "\(what) is not a finite number")
        }
        return Int(v.re[0].rounded())
    }

    static func binary(_ op: String, _ a: ControlVector, _ b: ControlVector) throws -> ControlVector {
        guard a.count > 0, b.count > 0 else { throw ControlError(.syntax, "empty vector in '\(op)'") }
        let n = (a.count == 1 || b.count == 1) ? max(a.count, b.count) : min(a.count, b.count)
        let scale = a.count >= b.count ? (a.scale ?? b.scale) : (b.scale ?? a.scale)
        func at(_ v: [Double], _ i: Int) -> Double { v.count == 1 ? v[0] : v[i] }
        var re = [Double](repeating: 0, count: n)
        if ["<", ">", "<=", ">=", "==", "!=", "and", "or"].contains(op) {
            // Comparisons and logic look at real parts only, as ngspice does.
            for k in 0..<n {
                let x = at(a.re, k), y = at(b.re, k)
                let r: Bool
                switch op {
                case "<": r = x < y
                case ">": r = x > y
                case "<=": r = x <= y
                case ">=": r = x >= y
                case "==": r = x == y
                case "and": r = x != 0 && y != 0
                case "or": r = x != 0 || y != 0
                default: r = x != y
                }
                re[k] = r ? 1 : 0
            }
            return ControlVector(name: op, re: re, scale: scale)
        }
        if a.im == nil && b.im == nil {
            for k in 0..<n {
                let x = at(a.re, k), y = at(b.re, k)
                switch op {
                case "+": re[k] = x + y
                case "-": re[k] = x - y
                case "*": re[k] = x * y
                case "/": re[k] = x / y
                case "%": re[k] = x.truncatingRemainder(dividingBy: y)
                default: re[k] = Glibc.pow(x, y)
                }
            }
            return ControlVector(name: op, re: re, type: a.type, scale: scale)
        }
        let zeroA = [Double](repeating: 0, count: a.count), zeroB = [Double](repeating: 0, count: b.count)
        let ai = a.im ?? zeroA, bi = b.im ?? zeroB
        var im = [Double](repeating: 0, count: n)
        for k in 0..<n {
            let x = (at(a.re, k), at(ai, k)), y = (at(b.re, k), at(bi, k))
            let r: (Double, Double)
            switch op {
            case "+": r = (x.0 + y.0, x.1 + y.1)
            case "-": r = (x.0 - y.0, x.1 - y.1)
            case "*": r = (x.0 * y.0 - x.1 * y.1, x.0 * y.1 + x.1 * y.0)
            case "/":
                let d = y.0 * y.0 + y.1 * y.1
                r = ((x.0 * y.0 + x.1 * y.1) / d, (x.1 * y.0 - x.0 * y.1) / d)
            case "%": throw ControlError(.syntax, "'%' needs real operands")
            default:
                // z^w = exp(w ln z)
                let lnz = (Glibc.log((x.0 * x.0 + x.1 * x.1).squareRoot()), atan2(x.1, x.0))
                let p = (y.0 * lnz.0 - y.1 * lnz.1, y.0 * lnz.1 + y.1 * lnz.0)
                let m = Glibc.exp(p.0)
                r = (m * cos(p.1), m * sin(p.1))
            }
            re[k] = r.0; im[k] = r.1
        }
        return ControlVector(name: op, re: re, im: im, type: a.type, scale: scale)
    }

    static func call(_ name: String, _ args: [ControlVector], degrees: Bool) throws -> ControlVector {
        guard args.count == 1, let v = args.first else {
            throw ControlError(.syntax, "function \(name)() takes one argument, got \(args.count)")
        }
        func real(_ values: [Double]) -> ControlVector {
            ControlVector(name: "\(name)(\(v.name))", re: values, scale: v.scale)
        }
        func complex(_ re: [Double], _ im: [Double]) -> ControlVector {
            ControlVector(name: "\(name)(\(v.name))", re: re, im: im, type: v.type, scale: v.scale)
        }
        let n = v.count
        let mags = (0..<n).map { v.magnitude(at: $0) }
        switch name {
        case "mag", "abs", "vm": return real(mags)
        case "db": return real(mags.map { 20 * Glibc.log10($0) })
        case "ph", "phase", "vp":
            let factor = degrees ? 180 / Double.pi : 1
            return real((0..<n).map { atan2(v.im?[$0] ?? 0, v.re[$0]) * factor })
        case "real", "re", "vr": return real(v.re)
        case "imag", "im", "vi": return real(v.im ?? [Double](repeating: 0, count: n))
        case "j":
            return complex(v.im.map { $0.map { -$0 } } ?? [Double](repeating: 0, count: n), v.re)
        case "conj": return complex(v.re, (v.im ?? [Double](repeating: 0, count: n)).map { -$0 })
        case "length": return ControlVector(name: "length(\(v.name))", re: [Double(n)])
        case "vector", "unitvec":
            // vector(n) is 0, 1, ..., n-1 and unitvec(n) is n ones, n from the first element.
            guard n > 0, v.re[0].isFinite, v.re[0] >= 0, v.re[0] <= 10_000_000 else {
                throw ControlError(.syntax, "\(name)() needs a length from 0 to 10000000")
            }
            let count = Int(v.re[0])
            return ControlVector(name: "\(name)(\(v.name))", re: name == "vector" ? (0..<count).map(Double.init) : [Double](repeating: 1, count: count))
        case "mean":
            guard n > 0 else { throw ControlError(.syntax, "mean() of an empty vector") }
            if let im = v.im {
                return ControlVector(name: "mean(\(v.name))", re: [v.re.reduce(0, +) / Double(n)], im: [im.reduce(0, +) / Double(n)])
            }
            return ControlVector(name: "mean(\(v.name))", re: [v.re.reduce(0, +) / Double(n)])
        case "vecmax", "max", "maximum":
            guard n > 0 else { throw ControlError(.syntax, "\(name)() of an empty vector") }
            return ControlVector(name: "\(name)(\(v.name))", re: [v.isComplex ? mags.max()! : v.re.max()!])
        case "vecmin", "min", "minimum":
            guard n > 0 else { throw ControlError(.syntax, "\(name)() of an empty vector") }
            return ControlVector(name: "\(name)(\(v.name))", re: [v.isComplex ? mags.min()! : v.re.min()!])
        case "sqrt", "exp", "ln", "log", "log10":
            // ngspice: the square root of a real vector with a negative entry is complex (all of it);
            // the logarithm of a negative real is an error, not NaN.
            if v.im == nil, name != "sqrt", name != "exp", let bad = v.re.first(where: { $0 < 0 }) {
                throw ControlError(.syntax, "argument out of range for \(name): \(bad)")
            }
            if v.im != nil || (name == "sqrt" && v.re.contains { $0 < 0 }) {
                let im = v.im ?? [Double](repeating: 0, count: n)
                var re = [Double](repeating: 0, count: n), ii = re
                for k in 0..<n {
                    let (x, y) = (v.re[k], im[k])
                    switch name {
                    case "sqrt":
                        // The half-angle form keeps sqrt(-4) exactly (0, 2), as ngspice prints it.
                        re[k] = ((mags[k] + x) / 2).squareRoot()
                        ii[k] = (y < 0 ? -1 : 1) * ((mags[k] - x) / 2).squareRoot()
                    case "exp":
                        let m = Glibc.exp(x)
                        re[k] = m * cos(y); ii[k] = m * sin(y)
                    default:
                        // ngspice 39: `log` is the natural log; complex log10 scales only the real part.
                        let base = name == "log10" ? Glibc.log(10.0) : 1
                        re[k] = Glibc.log(mags[k]) / base; ii[k] = atan2(y, x)
                    }
                }
                return complex(re, ii)
            }
            let f: (Double) -> Double
            switch name {
            case "sqrt": f = { $0.squareRoot() }
            case "exp": f = { Glibc.exp($0) }
            case "ln", "log": f = { Glibc.log($0) }
            default: f = { Glibc.log10($0) }
            }
            return real(v.re.map(f))
        case "sin", "cos", "tan", "atan", "sinh", "cosh", "tanh", "floor", "ceil", "sgn", "int":
            let f: (Double) -> Double
            switch name {
            case "sin": f = { Glibc.sin($0) }
            case "cos": f = { Glibc.cos($0) }
            case "tan": f = { Glibc.tan($0) }
            case "atan": f = { Glibc.atan($0) }
            case "sinh": f = { Glibc.sinh($0) }
            case "cosh": f = { Glibc.cosh($0) }
            case "tanh": f = { Glibc.tanh($0) }
            case "floor": f = { Glibc.floor($0) }
            case "ceil": f = { Glibc.ceil($0) }
            case "sgn": f = { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
            default: f = { $0.rounded(.towardZero) }
            }
            return real(v.re.map(f))
        default:
            throw ControlError(.syntax, "unknown function '\(name)'")
        }
    }
}
