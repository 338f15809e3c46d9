#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// Reads and writes ngspice's raw file format, ascii and binary, as ngspice 39 lays it out.
///
/// A raw file is a sequence of plots. Each plot is a text header
/// (`Title:`, `Date:`, `Plotname:`, `Flags: real|complex`, `No. Variables:`, `No. Points:`,
/// `Variables:` with one `\tindex\tname\ttype` line per vector) followed by either `Values:` (ascii:
/// per point the point index, then one number or `re,im` pair per vector) or `Binary:` (little-endian
/// IEEE doubles, point after point, two per value in complex plots).
///
/// Ascii plots written here end with one blank line (ngspice's `write` command does the same; `ngspice -b
/// -r` does not), so that readers which need a separator between plots, such as spicelib, read them.
///
/// Writing follows ngspice's naming: a voltage vector named `out` is written `v(out)`, a current named
/// `v1#branch` is written `i(v1)`; names that already carry parentheses are kept. Reading keeps names
/// exactly as the file spells them and numbers plots in file order (`op1`, `dc1`, `ac1`, ...). Note that
/// `ngspice -b -r` writes its plots newest first.
public enum RawFile {
    /// Writes `plots` to `path` as one raw file (ascii unless `binary`).
    public static func write(_ plots: [Plot], title: String, to path: String, binary: Bool = false) throws {
        let bytes = try encode(plots, title: title, binary: binary, file: path)
        // POSIX calls rather than Foundation's Data/URL, whose first use costs `miller sim -r` start-up.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw RawFileError(file: path, position: .none, message: "cannot write: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { posixWrite(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw RawFileError(file: path, position: .none, message: "cannot write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Renders `plots` as the text of an ascii raw file.
    public static func render(_ plots: [Plot], title: String) -> String {
        // Ascii encoding cannot fail on shape: ragged vectors are padded with NaN there.
        let bytes = (try? encode(plots, title: title, binary: false, file: "<render>")) ?? []
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads every plot of an ascii or binary raw file.
    public static func read(path: String) throws -> [Plot] {
        guard let bytes = LineReader.readFile(path) else {
            throw RawFileError(file: path, position: .none, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        return try parse(bytes, file: path)
    }

    /// Parses the bytes of a raw file; `file` names the source in errors.
    public static func parse(_ bytes: [UInt8], file: String) throws -> [Plot] {
        var reader = Reader(bytes: bytes, file: file)
        return try reader.readPlots()
    }
}

/// A malformed or unreadable raw file: what went wrong, in which file, and where.
public struct RawFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where in the file the problem is: a text line (1-based) or a byte offset in binary data.
    public enum Position: Equatable, Sendable {
        case line(Int)
        case byteOffset(Int)
        case none
    }

    public var file: String
    public var position: Position
    public var message: String

    public init(file: String, position: Position, message: String) {
        self.file = file; self.position = position; self.message = message
    }

    public var description: String {
        switch position {
        case .line(let n): "\(file):\(n): \(message)"
        case .byteOffset(let n): "\(file): byte \(n): \(message)"
        case .none: "\(file): \(message)"
        }
    }
}

// MARK: - Writing

extension RawFile {
    static func encode(_ plots: [Plot], title: String, binary: Bool, file: String) throws -> [UInt8] {
        var out: [UInt8] = []
        let date = dateString()
        var number = NumberFormatter15()
        for plot in plots {
            let complex = plot.vectors.contains { if case .complex = $0.values { true } else { false } }
            let points = plot.vectors.map(\.values.count).max() ?? 0
            if binary, let ragged = plot.vectors.first(where: { $0.values.count != points }) {
                throw RawFileError(file: file, position: .none, message:
                    "plot '\(plot.name)': vector '\(ragged.name)' has \(ragged.values.count) points, expected \(points)")
            }
            var header = "Title: \(title)\n"
            header += "Date: \(date)\n"
            header += "Plotname: \(plot.title)\n"
            header += "Flags: \(complex ? "complex" : "real")\n"
            header += "No. Variables: \(plot.vectors.count)\n"
            // ngspice pads the count to eight columns so it can patch it in place.
            let count = String(points)
            header += "No. Points: \(count)\(String(repeating: " ", count: max(0, 8 - count.count)))\n"
            header += "Variables:\n"
            for (index, vector) in plot.vectors.enumerated() {
                header += "\t\(index)\t\(writtenName(vector))\t\(vector.type.rawValue)"
                if index == 0, vector.type == .frequency, isLogarithmic(vector.values) { header += "\tgrid=3" }
                header += "\n"
            }
            header += binary ? "Binary:\n" : "Values:\n"
            out.append(contentsOf: Array(header.utf8))

            if binary {
                out.reserveCapacity(out.count + points * plot.vectors.count * (complex ? 16 : 8))
                for point in 0..<points {
                    for vector in plot.vectors {
                        let (re, im) = value(vector.values, at: point)
                        appendLittleEndian(re, to: &out)
                        if complex { appendLittleEndian(im, to: &out) }
                    }
                }
            } else {
                for point in 0..<points {
                    out.append(contentsOf: Array(String(point).utf8))
                    for (index, vector) in plot.vectors.enumerated() {
                        out.append(contentsOf: index == 0 ? [0x09, 0x09] : [0x09])
                        let (re, im) = value(vector.values, at: point)
                        number.append(re, to: &out)
                        if complex {
                            out.append(0x2C)
                            number.append(im, to: &out)
                        }
                        out.append(0x0A)
                    }
                }
                // A blank line after each plot's values, as ngspice's `write` command leaves: ngspice
                // ignores it, and readers such as spicelib need it to find where the next plot starts.
                out.append(0x0A)
            }
        }
        return out
    }

    /// ngspice's raw-file spelling of a vector name.
    static func writtenName(_ vector: Vector) -> String {
        let name = vector.name
        if name.contains("(") { return name }
        if name.hasSuffix("#branch") { return "i(\(name.dropLast("#branch".count)))" }
        switch vector.type {
        case .voltage: return "v(\(name))"
        case .current: return "i(\(name))"
        default: return name
        }
    }

    static func value(_ values: Vector.Values, at point: Int) -> (Double, Double) {
        switch values {
        case .real(let v): return point < v.count ? (v[point], 0) : (.nan, 0)
        case .complex(let re, let im):
            return (point < re.count ? re[point] : .nan, point < im.count ? im[point] : .nan)
        }
    }

    /// Whether a frequency scale is evenly spaced in log (ngspice marks dec/oct sweeps `grid=3`).
    static func isLogarithmic(_ values: Vector.Values) -> Bool {
        let v: [Double]
        switch values { case .real(let r): v = r; case .complex(let re, _): v = re }
        guard v.count >= 3, v.allSatisfy({ $0 > 0 }) else { return false }
        let ratio = v[1] / v[0]
        guard ratio > 1 + 1e-9 else { return false }
        return zip(v.dropFirst(), v.dropFirst(2)).allSatisfy { abs($1 / $0 - ratio) <= 1e-6 * ratio }
    }

    static func appendLittleEndian(_ x: Double, to out: inout [UInt8]) {
        var bits = x.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
    }

    /// `Mon Nov 23 10:45:43  2026`, local time, as ngspice stamps its raw files.
    static func dateString() -> String {
        localTimeString("%a %b %d %H:%M:%S  %Y")
    }
}

/// Formats doubles as C's `%.15e` (what ngspice writes), reusing one scratch buffer.
struct NumberFormatter15 {
    private var scratch = [CChar](repeating: 0, count: 64)

    mutating func append(_ x: Double, to out: inout [UInt8]) {
        let n = scratch.withUnsafeMutableBufferPointer { buffer in
            cformat_double(buffer.baseAddress, Int32(buffer.count), "%.15e", x)
        }
        let length = Int(max(0, min(n, Int32(scratch.count - 1))))
        for i in 0..<length { out.append(UInt8(bitPattern: scratch[i])) }
    }
}

// MARK: - Reading

extension RawFile {
    /// The analysis kind of a plot (`op`, `dc`, `ac`, `tran`, `noise`, ...), from its ngspice title.
    public static func kind(of plot: Plot) -> String { plotStem(forTitle: plot.title) }

    /// Maps a `Plotname:` to ngspice's plot-name stem (`op`, `dc`, `ac`, ...).
    static func plotStem(forTitle title: String) -> String {
        let t = title.lowercased()
        if t.hasPrefix("operating point") { return "op" }
        if t.hasPrefix("dc transfer") { return "dc" }
        if t.hasPrefix("ac analysis") { return "ac" }
        if t.hasPrefix("transient") { return "tran" }
        if t.contains("noise") { return "noise" }
        if t.hasPrefix("transfer function") { return "tf" }
        if t.hasPrefix("pole-zero") { return "pz" }
        if t.contains("sensitivity") { return "sens" }
        return "unknown"
    }

    struct Reader {
        let bytes: [UInt8]
        let file: String
        var offset = 0
        var line = 1

        init(bytes: [UInt8], file: String) { self.bytes = bytes; self.file = file }

        func error(_ message: String) -> RawFileError {
            RawFileError(file: file, position: .line(line), message: message)
        }

        /// Next text line without its newline (and without a trailing `\r`), or nil at end of file.
        mutating func nextLine() -> String? {
            guard offset < bytes.count else { return nil }
            var end = offset
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > offset, bytes[stop - 1] == 0x0D { stop -= 1 }
            let text = String(decoding: bytes[offset..<stop], as: UTF8.self)
            offset = min(end + 1, bytes.count)
            line += 1
            return text
        }

        mutating func readPlots() throws -> [Plot] {
            var plots: [Plot] = []
            var counters: [String: Int] = [:]
            while true {
                // Skip blank lines between plots.
                while offset < bytes.count, bytes[offset] == 0x0A || bytes[offset] == 0x0D
                        || bytes[offset] == 0x20 || bytes[offset] == 0x09 {
                    if bytes[offset] == 0x0A { line += 1 }
                    offset += 1
                }
                guard offset < bytes.count else { break }
                var plot = try readPlot()
                let stem = RawFile.plotStem(forTitle: plot.title)
                counters[stem, default: 0] += 1
                plot.name = "\(stem)\(counters[stem]!)"
                plots.append(plot)
            }
            if plots.isEmpty {
                throw RawFileError(file: file, position: .none, message: "no plots: empty raw file")
            }
            return plots
        }

        mutating func readPlot() throws -> Plot {
            var plotname: String?
            var complex: Bool?
            var variableCount: Int?
            var pointCount: Int?
            var variables: [(name: String, type: Vector.Quantity)] = []
            var binary = false

            header: while true {
                let headerLine = line
                guard let text = nextLine() else {
                    throw RawFileError(file: file, position: .line(headerLine),
                                       message: "unexpected end of file in plot header")
                }
                if text.trimmingWhitespace().isEmpty { continue }
                guard let colon = text.firstIndex(of: ":") else {
                    throw RawFileError(file: file, position: .line(headerLine),
                                       message: "expected a 'Key: value' header line, found '\(text.prefix(60))'")
                }
                let key = text[..<colon].trimmingWhitespace().lowercased()
                let value = text[text.index(after: colon)...].trimmingWhitespace()
                func integer() throws -> Int {
                    guard let n = Int(value), n >= 0 else {
                        throw RawFileError(file: file, position: .line(headerLine),
                                           message: "'\(key)' must be a non-negative integer, found '\(value)'")
                    }
                    return n
                }
                switch key {
                case "title", "date", "command", "option", "offset":
                    break
                case "plotname":
                    plotname = value
                case "flags":
                    for word in value.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                        switch word {
                        case "real": complex = false
                        case "complex": complex = true
                        case "forward", "log", "padded", "unpadded", "double": break
                        default:
                            throw RawFileError(file: file, position: .line(headerLine),
                                               message: "unsupported flag '\(word)'")
                        }
                    }
                case "no. variables":
                    variableCount = try integer()
                case "no. points":
                    pointCount = try integer()
                case "dimensions":
                    throw RawFileError(file: file, position: .line(headerLine),
                                       message: "multi-dimensional plots are not supported")
                case "variables":
                    guard let count = variableCount else {
                        throw RawFileError(file: file, position: .line(headerLine),
                                           message: "'Variables:' before 'No. Variables:'")
                    }
                    variables = try readVariables(count: count)
                case "values":
                    binary = false; break header
                case "binary":
                    binary = true; break header
                default:
                    throw RawFileError(file: file, position: .line(headerLine),
                                       message: "unknown header key '\(text[..<colon])'")
                }
            }
            let dataLine = line - 1
            func missing(_ what: String) -> RawFileError {
                RawFileError(file: file, position: .line(dataLine), message: "plot header lacks '\(what)'")
            }
            guard let plotname else { throw missing("Plotname:") }
            guard let complex else { throw missing("Flags:") }
            guard let variableCount else { throw missing("No. Variables:") }
            guard let pointCount else { throw missing("No. Points:") }
            guard variables.count == variableCount, variableCount > 0 else { throw missing("Variables:") }

            let columns = binary ? try readBinary(variables: variableCount, points: pointCount, complex: complex)
                                 : try readAscii(variables: variableCount, points: pointCount, complex: complex)
            var vectors: [Vector] = []
            vectors.reserveCapacity(variableCount)
            for (i, variable) in variables.enumerated() {
                let values: Vector.Values = complex ? .complex(re: columns.re[i], im: columns.im[i])
                                                    : .real(columns.re[i])
                vectors.append(Vector(name: variable.name, type: variable.type, values: values))
            }
            return Plot(name: "", title: plotname, vectors: vectors)
        }

        mutating func readVariables(count: Int) throws -> [(name: String, type: Vector.Quantity)] {
            var result: [(name: String, type: Vector.Quantity)] = []
            // The count comes from the header: never trust it for an allocation larger than the file.
            result.reserveCapacity(min(count, bytes.count))
            for expected in 0..<count {
                let at = line
                guard let text = nextLine() else {
                    throw RawFileError(file: file, position: .line(at),
                                       message: "unexpected end of file in 'Variables:' (\(expected) of \(count) read)")
                }
                let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count >= 3, let index = Int(fields[0]) else {
                    throw RawFileError(file: file, position: .line(at),
                                       message: "expected 'index name type', found '\(text.prefix(60))'")
                }
                guard index == expected else {
                    throw RawFileError(file: file, position: .line(at),
                                       message: "variable index \(index), expected \(expected)")
                }
                // Types ngspice writes that Miller has no name for (impedance, ...) read as notype.
                let type = Vector.Quantity(rawValue: String(fields[2]).lowercased()) ?? .notype
                result.append((String(fields[1]), type))
            }
            return result
        }

        mutating func readBinary(variables: Int, points: Int, complex: Bool)
            throws -> (re: [[Double]], im: [[Double]]) {
            let perValue = complex ? 2 : 1
            let (perPoint, overflowA) = variables.multipliedReportingOverflow(by: perValue * 8)
            let (size, overflowB) = points.multipliedReportingOverflow(by: perPoint)
            let overflow = overflowA || overflowB
            guard !overflow, size <= bytes.count - offset else {
                throw RawFileError(file: file, position: .byteOffset(offset), message:
                    "binary data truncated: \(points) points of \(variables) \(complex ? "complex" : "real") values need \(overflow ? "too many" : String(size)) bytes, \(bytes.count - offset) remain")
            }
            var re = [[Double]](repeating: [], count: variables)
            var im = [[Double]](repeating: [], count: complex ? variables : 0)
            for v in 0..<variables {
                re[v].reserveCapacity(points)
                if complex { im[v].reserveCapacity(points) }
            }
            var at = offset
            bytes.withUnsafeBytes { raw in
                func double() -> Double {
                    let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                    at += 8
                    return Double(bitPattern: bits)
                }
                for _ in 0..<points {
                    for v in 0..<variables {
                        re[v].append(double())
                        if complex { im[v].append(double()) }
                    }
                }
            }
            offset = at
            return (re, im)
        }

        mutating func readAscii(variables: Int, points: Int, complex: Bool)
            throws -> (re: [[Double]], im: [[Double]]) {
            var re = [[Double]](repeating: [], count: variables)
            var im = [[Double]](repeating: [], count: complex ? variables : 0)
            // Each ascii value takes at least two bytes, which bounds what the header's count can allocate.
            let reserve = min(points, (bytes.count - offset) / 2 + 1)
            for v in 0..<variables {
                re[v].reserveCapacity(reserve)
                if complex { im[v].reserveCapacity(reserve) }
            }
            for point in 0..<points {
                guard let indexToken = nextToken() else {
                    throw error("unexpected end of file: \(point) of \(points) points read")
                }
                guard let index = Int(indexToken), index == point else {
                    throw error("expected point index \(point), found '\(indexToken.prefix(40))'")
                }
                for v in 0..<variables {
                    guard let token = nextToken() else {
                        throw error("unexpected end of file in point \(point) (value \(v) of \(variables))")
                    }
                    if complex {
                        guard let comma = token.firstIndex(of: ","),
                              let r = number(token[..<comma]),
                              let i = number(token[token.index(after: comma)...]) else {
                            throw error("expected a complex value 're,im' in point \(point), found '\(token.prefix(60))'")
                        }
                        re[v].append(r); im[v].append(i)
                    } else {
                        guard let r = number(Substring(token)) else {
                            throw error("expected a number in point \(point), found '\(token.prefix(60))'")
                        }
                        re[v].append(r)
                    }
                }
            }
            return (re, im)
        }

        /// C's strtod spellings of non-finite values are accepted too (`nan`, `-nan`, `inf`).
        func number(_ text: Substring) -> Double? {
            if let x = Double(text) { return x }
            switch text.lowercased() {
            case "nan", "-nan", "+nan": return .nan
            case "inf", "+inf", "infinity": return .infinity
            case "-inf", "-infinity": return -.infinity
            default: return nil
            }
        }

        /// Next whitespace-separated token, counting newlines; nil at end of file or at a header line
        /// (a token ending in ':' such as `Title:`), which is left unread.
        mutating func nextToken() -> String? {
            while offset < bytes.count {
                let b = bytes[offset]
                if b == 0x0A { line += 1 } else if b != 0x20 && b != 0x09 && b != 0x0D { break }
                offset += 1
            }
            guard offset < bytes.count else { return nil }
            var end = offset
            while end < bytes.count {
                let b = bytes[end]
                if b == 0x0A || b == 0x20 || b == 0x09 || b == 0x0D { break }
                end += 1
            }
            let token = String(decoding: bytes[offset..<end], as: UTF8.self)
            if token.hasSuffix(":") { return nil }
            offset = end
            return token
        }
    }
}

/// write(2) (a free function, so `write` means the C call and not `RawFile.write`).
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
