#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// Number and table formats exactly as ngspice's control commands write them.
public enum ControlFormat {
    /// `print`: `%e` with one digit fewer for negatives, so every value is 12 characters.
    public static func printValue(_ x: Double) -> String {
        String(printf: x < 0 ? "%.5e" : "%.6e", x)
    }

    /// `$&name` substitution: six significant digits, `%G`.
    public static func echo(_ x: Double) -> String {
        String(printf: "%.6G", x)
    }

    /// Measure results: `%e`.
    public static func measureValue(_ x: Double) -> String {
        String(printf: "%e", x)
    }

    /// ngspice's display name of a stored vector: `v(out)` shows as `out`, `i(v1)` as `v1#branch`.
    public static func displayName(_ name: String) -> String {
        let n = name.lowercased()
        if n.hasPrefix("v("), n.hasSuffix(")"), !n.contains(",") { return String(n.dropFirst(2).dropLast()) }
        if n.hasPrefix("i("), n.hasSuffix(")") { return String(n.dropFirst(2).dropLast()) + "#branch" }
        return n
    }

    static func reals(_ v: Vector) -> [Double] {
        switch v.values { case .real(let r): r; case .complex(let r, _): r }
    }

    static func padded(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    /// `Mon Nov 3 10:45:43  2026`, local time, as ngspice dates a `print` table.
    static func dateString() -> String {
        localTimeString("%a %b %-d %H:%M:%S  %Y")
    }

    /// `print` of vectors longer than one point: ngspice's paged table with the scale as first column.
    static func columns(_ items: [ControlVector], scale: Vector?, title: String, plotTitle: String) -> String {
        let indent = String(repeating: " ", count: max(0, (80 - title.count) / 2))
        let dashes = String(repeating: "-", count: 80)
        var header = padded("Index", 8)
        if let scale { header += padded(displayName(scale.name), 16) }
        for v in items { header += padded(v.name, v.isComplex ? 32 : 16) }
        var out = "\(indent)\(title)\n\(indent)\(plotTitle)  \(dateString())\n\(dashes)\n\(header)\n\(dashes)\n"
        let scaleValues = scale.map(reals) ?? []
        let rows = max(scaleValues.count, items.map(\.count).max() ?? 0)
        for r in 0..<rows {
            if r > 0, r % 55 == 0 { out += "\n\(header)\n\(dashes)\n" }
            out += "\(r)\t"
            if scale != nil { out += r < scaleValues.count ? printValue(scaleValues[r]) + "\t" : "\t" }
            for v in items {
                if r < v.count {
                    out += printValue(v.re[r]) + (v.im.map { ",\t" + printValue($0[r]) } ?? "") + "\t"
                } else {
                    out += "\t"
                }
            }
            out += "\n"
        }
        return out + "\n"
    }
}
