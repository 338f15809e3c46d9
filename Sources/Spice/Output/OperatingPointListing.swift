import CFormat

/// An operating point as ngspice lists it after `.op`: node voltages, then source (branch) currents.
public struct OperatingPointListing: Sendable, Codable {
    public struct Entry: Sendable, Codable, Equatable {
        public var name: String
        public var value: Double
    }

    public var title: String
    /// Node voltages, in ngspice's listing order.
    public var nodes: [Entry]
    /// Branch currents of voltage sources and inductors, named `v1#branch` as ngspice prints them.
    public var sources: [Entry]

    /// Builds the listing from an operating-point plot (`v(x)` vectors become nodes, `i(x)` sources).
    public init(plot: Plot, title: String) {
        self.title = title
        var nodes: [Entry] = [], sources: [Entry] = []
        for vector in plot.vectors {
            guard case .real(let values) = vector.values, let value = values.first else { continue }
            let name = vector.name
            if name.hasPrefix("v("), name.hasSuffix(")") {
                nodes.append(Entry(name: String(name.dropFirst(2).dropLast()), value: value))
            } else if name.hasPrefix("i("), name.hasSuffix(")") {
                sources.append(Entry(name: String(name.dropFirst(2).dropLast()) + "#branch", value: value))
            }
        }
        // ngspice lists both groups newest-first.
        self.nodes = nodes.reversed()
        self.sources = sources.reversed()
    }

    /// The listing in ngspice's batch-mode layout.
    public var text: String {
        var out = "\tNode                                  Voltage\n\t----                                  -------\n\t----\t-------\n"
        for entry in nodes { out += "\t\(Self.pad(entry.name))\(Self.format(entry.value))\n" }
        out += "\n\tSource\tCurrent\n\t------\t-------\n\n"
        for entry in sources { out += "\t\(Self.pad(entry.name))\(Self.format(entry.value))\n" }
        return out
    }

    /// The listing as JSON: `{"title": ..., "nodes": [{"name", "value"}], "sources": [...]}`.
    public var json: String {
        func entries(_ list: [Entry]) -> String {
            list.map { "    {\"name\": \(Self.quoted($0.name)), \"value\": \($0.value.isFinite ? "\($0.value)" : "null")}" }
                .joined(separator: ",\n")
        }
        return "{\n  \"title\": \(Self.quoted(title)),\n  \"nodes\": [\n\(entries(nodes))\n  ],\n  \"sources\": [\n\(entries(sources))\n  ]\n}"
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func pad(_ name: String) -> String {
        name.count >= 33 ? name + " " : name + String(repeating: " ", count: 33 - name.count)
    }

    /// ngspice prints 12 characters: 7 significant digits, 6 when negative.
    static func format(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = Int(cformat_double(&buffer, Int32(buffer.count), value < 0 ? "%.5e" : "%.6e", value))
        return String(decoding: buffer.prefix(min(max(0, count), 63)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
