import CFormat

/// A value that `String(printf:)` can format: numbers for the numeric conversions, text for `%@`/`%s`.
public protocol PrintfArgument {
    /// The value as one of the kinds a printf conversion takes.
    var printfValue: PrintfValue { get }
}

/// What a printf conversion receives.
public enum PrintfValue {
    case signed(Int64)
    case unsigned(UInt64)
    case double(Double)
    case text(String)
}

extension Double: PrintfArgument { public var printfValue: PrintfValue { .double(self) } }
extension Float: PrintfArgument { public var printfValue: PrintfValue { .double(Double(self)) } }
extension Int: PrintfArgument { public var printfValue: PrintfValue { .signed(Int64(self)) } }
extension Int32: PrintfArgument { public var printfValue: PrintfValue { .signed(Int64(self)) } }
extension Int64: PrintfArgument { public var printfValue: PrintfValue { .signed(self) } }
extension UInt: PrintfArgument { public var printfValue: PrintfValue { .unsigned(UInt64(self)) } }
extension UInt32: PrintfArgument { public var printfValue: PrintfValue { .unsigned(UInt64(self)) } }
extension UInt64: PrintfArgument { public var printfValue: PrintfValue { .unsigned(self) } }
extension String: PrintfArgument { public var printfValue: PrintfValue { .text(self) } }
extension Substring: PrintfArgument { public var printfValue: PrintfValue { .text(String(self)) } }

extension String {
    /// Formats `arguments` with a C printf `format`, as Foundation's `String(format:)` does for the
    /// conversions this project uses (`%d %i %u %x %X %o %c %e %E %f %F %g %G %a %A %s %@ %%`, with flags,
    /// width and precision; length modifiers are accepted and ignored). As Foundation's, `%@` writes its
    /// text whole, ignoring width and precision (`%-3@` does not pad); `%s` follows snprintf.
    ///
    /// Why not `String(format:)`: it is Foundation's, and linking Foundation costs every `miller` process
    /// about 2 ms of start-up (CoreFoundation's constructor, ICU data pages). A conversion without an
    /// argument left, or with `*` width, is copied as it stands rather than reading garbage.
    public init(printf format: String, _ arguments: any PrintfArgument...) {
        var out: [UInt8] = []
        out.reserveCapacity(format.utf8.count + 16 * arguments.count)
        let f = Array(format.utf8)
        var next = 0
        var i = 0
        while i < f.count {
            let c = f[i]
            guard c == UInt8(ascii: "%"), i + 1 < f.count else { out.append(c); i += 1; continue }
            if f[i + 1] == UInt8(ascii: "%") { out.append(c); i += 2; continue }
            // Flags, width, precision and length up to the conversion letter.
            var j = i + 1
            var spec: [UInt8] = [UInt8(ascii: "%")]
            var star = false
            while j < f.count, Self.isSpecByte(f[j]) {
                if f[j] == UInt8(ascii: "*") { star = true }
                if !Self.isLengthByte(f[j]) { spec.append(f[j]) }
                j += 1
            }
            guard j < f.count, !star, next < arguments.count else {
                out.append(contentsOf: f[i..<Swift.min(j + 1, f.count)])
                i = j + 1
                continue
            }
            let conversion = f[j]
            let value = arguments[next].printfValue
            next += 1
            Self.append(conversion: conversion, spec: spec, value: value, to: &out)
            i = j + 1
        }
        self = String(decoding: out, as: UTF8.self)
    }

    private static func isSpecByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: " "),
             UInt8(ascii: "#"), UInt8(ascii: "."), UInt8(ascii: "*"), UInt8(ascii: "'"):
            return true
        default:
            return isLengthByte(b)
        }
    }

    private static func isLengthByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "l"), UInt8(ascii: "h"), UInt8(ascii: "q"), UInt8(ascii: "L"), UInt8(ascii: "z"),
             UInt8(ascii: "j"), UInt8(ascii: "t"):
            return true
        default:
            return false
        }
    }

    /// One conversion through snprintf, the argument converted to the kind the letter asks for.
    private static func append(conversion: UInt8, spec: [UInt8], value: PrintfValue, to out: inout [UInt8]) {
        switch conversion {
        case UInt8(ascii: "d"), UInt8(ascii: "i"), UInt8(ascii: "c"):
            let v: Int64
            switch value {
            case .signed(let x): v = x
            case .unsigned(let x): v = Int64(truncatingIfNeeded: x)
            case .double(let x): v = x.isFinite && abs(x) < 9.2e18 ? Int64(x) : 0
            case .text(let s): out.append(contentsOf: s.utf8); return
            }
            run(spec + (conversion == UInt8(ascii: "c") ? [conversion] : [UInt8(ascii: "l"), UInt8(ascii: "l"), conversion]), into: &out) {
                cformat_long($0, $1, $2, v)
            }
        case UInt8(ascii: "u"), UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "o"):
            let v: UInt64
            switch value {
            case .signed(let x): v = UInt64(truncatingIfNeeded: x)
            case .unsigned(let x): v = x
            case .double(let x): v = x.isFinite && x >= 0 && x < 1.8e19 ? UInt64(x) : 0
            case .text(let s): out.append(contentsOf: s.utf8); return
            }
            run(spec + [UInt8(ascii: "l"), UInt8(ascii: "l"), conversion], into: &out) { cformat_unsigned($0, $1, $2, v) }
        case UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "g"),
             UInt8(ascii: "G"), UInt8(ascii: "a"), UInt8(ascii: "A"):
            let v: Double
            switch value {
            case .signed(let x): v = Double(x)
            case .unsigned(let x): v = Double(x)
            case .double(let x): v = x
            case .text(let s): out.append(contentsOf: s.utf8); return
            }
            run(spec + [conversion], into: &out) { cformat_double($0, $1, $2, v) }
        case UInt8(ascii: "s"), UInt8(ascii: "@"):
            let text: String
            switch value {
            case .signed(let x): text = String(x)
            case .unsigned(let x): text = String(x)
            case .double(let x): text = String(x)
            case .text(let s): text = s
            }
            if spec.count == 1 || conversion == UInt8(ascii: "@") { out.append(contentsOf: text.utf8); return }
            // Width and precision count bytes, as snprintf's %s does.
            run(spec + [UInt8(ascii: "s")], into: &out) { buffer, size, format in
                text.withCString { cformat_string(buffer, size, format, $0) }
            }
        default:
            // An unknown conversion is copied as written.
            out.append(contentsOf: spec)
            out.append(conversion)
        }
    }

    /// Calls `body(buffer, size, cFormat)` and appends what it wrote, growing the buffer when needed.
    private static func run(_ spec: [UInt8], into out: inout [UInt8],
                            _ body: (UnsafeMutablePointer<CChar>, Int32, UnsafePointer<CChar>) -> Int32) {
        let format = spec.map { CChar(bitPattern: $0) } + [0]
        var buffer = [CChar](repeating: 0, count: 64)
        format.withUnsafeBufferPointer { fmt in
            var n = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, Int32($0.count), fmt.baseAddress!) }
            if n >= buffer.count {
                buffer = [CChar](repeating: 0, count: Int(n) + 1)
                n = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, Int32($0.count), fmt.baseAddress!) }
            }
            if n > 0 { out.append(contentsOf: buffer[0..<Int(n)].lazy.map { UInt8(bitPattern: $0) }) }
        }
    }
}
