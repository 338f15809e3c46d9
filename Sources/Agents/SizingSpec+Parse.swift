#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials

/// Why a spec file was rejected; every case names the field (dotted path) and, where known, its line.
public enum SpecError: Error, CustomStringConvertible, Sendable, Equatable {
    case syntax(TOMLError)
    case unknownKey(field: String, line: Int?, allowed: [String])
    case wrongType(field: String, line: Int?, expected: String, found: String)
    case outOfRange(field: String, line: Int?, value: Double, allowed: String)
    case minAboveMax(field: String, line: Int?, min: Double, max: Double)
    case unknownValue(field: String, line: Int?, value: String, allowed: [String])
    case missingField(field: String)
    case duplicateValue(field: String, line: Int?, value: String)
    case unreadable(path: String)

    public var description: String {
        func at(_ line: Int?) -> String { line.map { "line \($0): " } ?? "" }
        switch self {
        case .syntax(let e): return "spec syntax error at \(e)"
        case .unknownKey(let f, let l, let allowed):
            return "\(at(l))unknown key '\(f)'; allowed here: \(allowed.joined(separator: ", "))"
        case .wrongType(let f, let l, let expected, let found):
            return "\(at(l))'\(f)' must be a \(expected), found a \(found)"
        case .outOfRange(let f, let l, let v, let allowed):
            return "\(at(l))'\(f)' = \(v) is out of range; allowed: \(allowed)"
        case .minAboveMax(let f, let l, let lo, let hi):
            return "\(at(l))'\(f)': min \(lo) is greater than max \(hi)"
        case .unknownValue(let f, let l, let v, let allowed):
            return "\(at(l))'\(f)' = \"\(v)\" is not allowed; choose one of: \(allowed.joined(separator: ", "))"
        case .missingField(let f): return "missing required field '\(f)'"
        case .duplicateValue(let f, let l, let v): return "\(at(l))'\(f)' lists \"\(v)\" twice"
        case .unreadable(let p): return "cannot read spec file '\(p)'"
        }
    }
}

extension SizingSpec {
    /// Reads and validates a spec file.
    public static func load(path: String) throws(SpecError) -> SizingSpec {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        return try parse(String(decoding: data, as: UTF8.self))
    }

    /// Parses and validates spec text. Required: `process`, `topology`, `corners`, `[conditions]` with
    /// `vdd`, `vcm`, `cl_pf`. Everything else has a default (see `SizingSpec.init`).
    public static func parse(_ text: String) throws(SpecError) -> SizingSpec {
        let root: TOMLTable
        do { root = try TOML.parse(text) } catch { throw .syntax(error) }
        var r = SpecReader()
        return try r.spec(root)
    }
}

/// Walks the parsed TOML, checking keys, types and ranges as it goes.
struct SpecReader {
    static let topKeys = ["process", "topology", "corners", "conditions", "constraints", "objective", "target", "limits", "budget"]
    static let conditionKeys = ["vdd", "vcm", "cl_pf", "temperature"]
    static let limitKeys = ["l_um", "w_um", "fingers", "multiplier", "cc_pf", "rz_kohm", "r2_kohm", "ibias_ua"]
    static let budgetKeys = ["iterations", "wall_seconds"]

    func checkKeys(_ t: TOMLTable, _ prefix: String, _ allowed: [String]) throws(SpecError) {
        for k in t.keys where !allowed.contains(k) {
            throw .unknownKey(field: prefix + k, line: t.lines[k], allowed: allowed)
        }
    }

    func table(_ t: TOMLTable, _ key: String, _ prefix: String) throws(SpecError) -> TOMLTable? {
        guard let v = t[key] else { return nil }
        guard case .table(let s) = v else {
            throw .wrongType(field: prefix + key, line: t.lines[key], expected: "table", found: v.typeName)
        }
        return s
    }

    func string(_ t: TOMLTable, _ key: String, _ prefix: String) throws(SpecError) -> String? {
        guard let v = t[key] else { return nil }
        guard case .string(let s) = v else {
            throw .wrongType(field: prefix + key, line: t.lines[key], expected: "string", found: v.typeName)
        }
        return s
    }

    func number(_ t: TOMLTable, _ key: String, _ prefix: String, in range: Interval? = nil) throws(SpecError) -> Double? {
        guard let v = t[key] else { return nil }
        guard case .number(let x) = v else {
            throw .wrongType(field: prefix + key, line: t.lines[key], expected: "number", found: v.typeName)
        }
        if let range, !range.contains(x) {
            throw .outOfRange(field: prefix + key, line: t.lines[key], value: x, allowed: "\(range.min) to \(range.max)")
        }
        return x
    }

    func choice<E: RawRepresentable & CaseIterable>(_ t: TOMLTable, _ key: String, _ prefix: String, _: E.Type) throws(SpecError) -> E?
    where E.RawValue == String {
        guard let s = try string(t, key, prefix) else { return nil }
        guard let e = E(rawValue: s) else {
            throw .unknownValue(field: prefix + key, line: t.lines[key], value: s, allowed: E.allCases.map(\.rawValue))
        }
        return e
    }

    mutating func spec(_ root: TOMLTable) throws(SpecError) -> SizingSpec {
        try checkKeys(root, "", Self.topKeys)
        var spec = SizingSpec()
        guard let process = try choice(root, "process", "", ProcessNode.self) else { throw .missingField(field: "process") }
        guard let topology = try choice(root, "topology", "", Topology.self) else { throw .missingField(field: "topology") }
        spec.process = process
        spec.topology = topology
        spec.corners = try corners(root)

        guard let c = try table(root, "conditions", "") else { throw .missingField(field: "conditions") }
        try checkKeys(c, "conditions.", Self.conditionKeys)
        guard let vdd = try number(c, "vdd", "conditions.", in: Interval(0.5, 5)) else { throw .missingField(field: "conditions.vdd") }
        guard let vcm = try number(c, "vcm", "conditions.", in: Interval(0, 5)) else { throw .missingField(field: "conditions.vcm") }
        guard let cl = try number(c, "cl_pf", "conditions.", in: Interval(0.001, 1000)) else { throw .missingField(field: "conditions.cl_pf") }
        if vcm > vdd {
            throw .outOfRange(field: "conditions.vcm", line: c.lines["vcm"], value: vcm, allowed: "0 to vdd (\(vdd))")
        }
        spec.vdd = vdd; spec.vcm = vcm; spec.clPF = cl
        spec.temperature = try number(c, "temperature", "conditions.", in: Interval(-55, 175)) ?? 27

        if let t = try table(root, "constraints", "") { spec.constraints = try constraints(t) }
        if let o = try table(root, "objective", "") {
            try checkKeys(o, "objective.", ["maximize"])
            spec.objective = try choice(o, "maximize", "objective.", Objective.self) ?? .fom
        }
        if let t = try table(root, "target", "") { spec.target = try target(t) }
        if let t = try table(root, "limits", "") { spec.limits = try limits(t) }
        if let b = try table(root, "budget", "") {
            try checkKeys(b, "budget.", Self.budgetKeys)
            if let n = try number(b, "iterations", "budget.", in: Interval(1, 10_000)) {
                guard n == n.rounded() else {
                    throw .wrongType(field: "budget.iterations", line: b.lines["iterations"], expected: "whole number", found: "fraction")
                }
                spec.budget.iterations = Int(n)
            }
            if let s = try number(b, "wall_seconds", "budget.", in: Interval(0.1, 86_400)) { spec.budget.wallSeconds = s }
        }
        return spec
    }

    func corners(_ root: TOMLTable) throws(SpecError) -> [Corner] {
        guard let v = root["corners"] else { throw .missingField(field: "corners") }
        let line = root.lines["corners"]
        guard case .array(let items) = v else {
            throw .wrongType(field: "corners", line: line, expected: "array of strings", found: v.typeName)
        }
        guard !items.isEmpty else {
            throw .unknownValue(field: "corners", line: line, value: "", allowed: Corner.allCases.map(\.rawValue))
        }
        var out: [Corner] = []
        for item in items {
            guard case .string(let s) = item else {
                throw .wrongType(field: "corners", line: line, expected: "array of strings", found: "array holding a \(item.typeName)")
            }
            guard let c = Corner(rawValue: s) else {
                throw .unknownValue(field: "corners", line: line, value: s, allowed: Corner.allCases.map(\.rawValue))
            }
            guard !out.contains(c) else { throw .duplicateValue(field: "corners", line: line, value: s) }
            out.append(c)
        }
        return out
    }

    /// `metric = { min = x, max = y }` with either end optional.
    func bound(_ t: TOMLTable, _ key: String, _ prefix: String, physical: Interval) throws(SpecError) -> Bound {
        let field = prefix + key
        guard case .table(let b)? = t[key] else {
            throw .wrongType(field: field, line: t.lines[key], expected: "inline table like { min = 1, max = 2 }", found: t[key]?.typeName ?? "nothing")
        }
        try checkKeys(b, field + ".", ["min", "max"])
        let lo = try number(b, "min", field + ".", in: physical)
        let hi = try number(b, "max", field + ".", in: physical)
        if lo == nil && hi == nil {
            throw .missingField(field: field + ".min or " + field + ".max")
        }
        if let lo, let hi, lo > hi { throw .minAboveMax(field: field, line: t.lines[key], min: lo, max: hi) }
        return Bound(min: lo, max: hi)
    }

    /// Physically sensible range of each metric, to catch unit slips (GBW in Hz, Idc in A).
    static func plausible(_ m: Metric) -> Interval {
        switch m {
        case .gainDB, .cmrrDB, .psrrDB: Interval(-50, 200)
        case .gbwMHz: Interval(0, 100_000)
        case .pmDeg: Interval(-180, 180)
        case .srVPerUs: Interval(0, 100_000)
        case .idcUA: Interval(0, 1_000_000)
        case .noiseUVPerRtHz: Interval(0, 1_000_000)
        }
    }

    func constraints(_ t: TOMLTable) throws(SpecError) -> [Metric: Bound] {
        try checkKeys(t, "constraints.", Metric.allCases.map(\.rawValue))
        var out: [Metric: Bound] = [:]
        for k in t.keys {
            let m = Metric(rawValue: k)!
            out[m] = try bound(t, k, "constraints.", physical: Self.plausible(m))
        }
        return out
    }

    /// `[target]` holds exactly one metric key and an optional `tolerance` (fraction).
    func target(_ t: TOMLTable) throws(SpecError) -> Target {
        try checkKeys(t, "target.", Metric.allCases.map(\.rawValue) + ["tolerance"])
        let metrics = t.keys.filter { $0 != "tolerance" }
        guard let k = metrics.first else { throw .missingField(field: "target.<metric>") }
        if metrics.count > 1 {
            throw .unknownKey(field: "target." + metrics[1], line: t.lines[metrics[1]],
                              allowed: ["one metric only (already have \(k))", "tolerance"])
        }
        let m = Metric(rawValue: k)!
        let v = try number(t, k, "target.", in: Self.plausible(m))!
        let tol = try number(t, "tolerance", "target.", in: Interval(0.001, 0.5)) ?? 0.05
        return Target(metric: m, value: v, tolerance: tol)
    }

    func limits(_ t: TOMLTable) throws(SpecError) -> SizingLimits {
        try checkKeys(t, "limits.", Self.limitKeys)
        var l = SizingLimits()
        func range(_ key: String, _ current: Interval, _ physical: Interval) throws(SpecError) -> Interval {
            guard t[key] != nil else { return current }
            let b = try bound(t, key, "limits.", physical: physical)
            return Interval(b.min ?? current.min, b.max ?? current.max)
        }
        // The foundry's own geometry rules bound the ranges a spec may ask for.
        l.lUM = try range("l_um", l.lUM, Interval(0.15, 100))
        l.wUM = try range("w_um", l.wUM, Interval(0.42, 1000))
        l.fingers = try range("fingers", l.fingers, Interval(1, 256))
        l.multiplier = try range("multiplier", l.multiplier, Interval(1, 1024))
        l.ccPF = try range("cc_pf", l.ccPF, Interval(0.001, 1000))
        l.rzKOhm = try range("rz_kohm", l.rzKOhm, Interval(0.001, 100_000))
        l.r2KOhm = try range("r2_kohm", l.r2KOhm, Interval(0.001, 100_000))
        l.ibiasUA = try range("ibias_ua", l.ibiasUA, Interval(0.001, 100_000))
        for (key, r) in [("l_um", l.lUM), ("w_um", l.wUM), ("fingers", l.fingers), ("multiplier", l.multiplier),
                         ("cc_pf", l.ccPF), ("rz_kohm", l.rzKOhm), ("r2_kohm", l.r2KOhm), ("ibias_ua", l.ibiasUA)]
        where r.min > r.max {
            throw .minAboveMax(field: "limits." + key, line: t.lines[key], min: r.min, max: r.max)
        }
        return l
    }
}
