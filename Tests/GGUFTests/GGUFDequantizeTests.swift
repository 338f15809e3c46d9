import XCTest
import GGUF

/// Dequantization and Q8_0 quantization against goldens from python `gguf` (see make-fixtures.py).
final class GGUFDequantizeTests: XCTestCase {
    func testDequantizeMatchesPythonGGUFBitForBit() throws {
        let cases = try Fixtures.cases().filter { $0.operation == "dequantize" }
        let types = Set(cases.map(\.type))
        for t in [GGMLType.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K] {
            XCTAssertTrue(types.contains(t), "no golden for \(t)")
        }
        for c in cases {
            var y = [Float](repeating: .nan, count: c.elements)
            try c.input.withUnsafeBytes { src in
                try y.withUnsafeMutableBufferPointer { try dequantize(c.type, src, count: c.elements, into: $0) }
            }
            let expected = floatBits(c.output)
            XCTAssertEqual(expected.count, c.elements, c.name)
            var mismatches = 0
            for i in 0..<c.elements where y[i].bitPattern != expected[i] {
                if mismatches < 3 {
                    XCTFail("\(c.name) (\(c.source)) element \(i): got \(y[i]), python gguf gives \(Float(bitPattern: expected[i]))")
                }
                mismatches += 1
            }
            XCTAssertEqual(mismatches, 0, c.name)
        }
    }

    func testQuantizeQ8_0MatchesReferenceIncludingTies() throws {
        let c = try XCTUnwrap(Fixtures.cases().first { $0.operation == "quantize" && $0.type == .q8_0 })
        let x = floatBits(c.input).map(Float.init(bitPattern:))
        var out = [UInt8](repeating: 0xAA, count: x.count / 32 * 34)
        x.withUnsafeBufferPointer { src in out.withUnsafeMutableBytes { quantizeQ8_0(src, into: $0) } }
        XCTAssertEqual(out.count, c.output.count)
        for b in 0..<(out.count / 34) where out[(b * 34)..<(b * 34 + 34)] != c.output[(b * 34)..<(b * 34 + 34)] {
            XCTFail("block \(b): got \(Array(out[(b * 34)..<(b * 34 + 34)])), reference \(Array(c.output[(b * 34)..<(b * 34 + 34)]))")
        }
        // The tie block (d = 1): ±0.5 → ±1, 1.5 → 2, 2.5 → 3, 126.5 → 127 (halves away from zero).
        let ties = x.count / 32 - 2
        XCTAssertEqual(Array(out[(ties * 34 + 2)..<(ties * 34 + 11)]).map { Int8(bitPattern: $0) },
                       [127, -1, 1, 2, -2, 3, -3, 127, -127])
    }

    func testQuantizeHandlesZeroAndNonFiniteBlocks() {
        var x = [Float](repeating: 0, count: 64)
        x[32] = .infinity
        x[33] = .nan
        var out = [UInt8](repeating: 0xAA, count: 68)
        x.withUnsafeBufferPointer { src in out.withUnsafeMutableBytes { quantizeQ8_0(src, into: $0) } }
        XCTAssertEqual(Array(out[0..<34]), [UInt8](repeating: 0, count: 34))   // d = 0, q = 0
        XCTAssertTrue(out[36...].allSatisfy { $0 == 0 })   // no trap on inf/NaN
    }

    func testHalfConversionsAreExact() {
        #if !(os(macOS) && arch(x86_64))
        for bits in 0...UInt16.max {
            let ours = HalfFloat.float(fromBits: bits)
            let swift = Float(Float16(bitPattern: bits))
            XCTAssertTrue(ours.bitPattern == swift.bitPattern || (ours.isNaN && swift.isNaN), "half 0x\(String(bits, radix: 16))")
            if !ours.isNaN { XCTAssertEqual(HalfFloat.bits(from: ours), bits, "round trip of 0x\(String(bits, radix: 16))") }
        }
        var g = SplitMix(seed: 7)
        for _ in 0..<200_000 {
            // Random floats around the half range, including subnormal and overflow territory.
            // Exponents from far below the smallest subnormal half (2^-24) to beyond its max (65504).
            let r = g.next()
            let exponent = UInt32(95 + r % 50)
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: r >> 32) & 0x807F_FFFF | exponent << 23)
            XCTAssertEqual(HalfFloat.bits(from: x), Float16(x).bitPattern, "\(x)")
        }
        #endif
        XCTAssertEqual(HalfFloat.bits(from: 65520), 0x7C00)            // rounds up to infinity
        XCTAssertEqual(HalfFloat.bits(from: 65519.99), 0x7BFF)
        XCTAssertEqual(HalfFloat.bits(from: 0x1p-25), 0)               // tie to even (zero)
        XCTAssertEqual(HalfFloat.bits(from: 0x1.8p-25), 1)
        XCTAssertEqual(HalfFloat.float(fromBits: 0x0001), 0x1p-24)
    }

    func testDequantizeRejectsBadSizesAndTypes() throws {
        let src = [UInt8](repeating: 0, count: 34)
        var y = [Float](repeating: 0, count: 64)
        try src.withUnsafeBytes { s in
            try y.withUnsafeMutableBufferPointer { d in
                XCTAssertThrowsError(try dequantize(.q8_0, s, count: 33, into: d))      // not whole blocks
                XCTAssertThrowsError(try dequantize(.q8_0, s, count: 64, into: d))      // source too short
                XCTAssertThrowsError(try dequantize(.q8_0, s, count: 32, into: UnsafeMutableBufferPointer(rebasing: d[0..<16])))
                XCTAssertThrowsError(try dequantize(.iq2_xxs, s, count: 256, into: d)) {
                    XCTAssertEqual($0 as? GGUFError, .unsupportedType(.iq2_xxs, operation: "dequantize"))
                }
                XCTAssertNoThrow(try dequantize(.q8_0, s, count: 32, into: d))
            }
        }
    }
}

/// A tiny seeded generator (SplitMix64) so fuzz and random tests are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
