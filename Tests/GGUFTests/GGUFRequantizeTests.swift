import XCTest
import GGUF

/// `requantize` on a tiny mixed-type model: which tensors become Q8_0, and their exact bytes.
final class GGUFRequantizeTests: XCTestCase {
    func testRequantizeFollowsTheReferenceRule() throws {
        let dir = FileManager.default.temporaryDirectory
        let input = dir.appendingPathComponent("rq-in-\(getpid()).gguf").path
        let output = dir.appendingPathComponent("rq-out-\(getpid()).gguf").path
        defer {
            try? FileManager.default.removeItem(atPath: input)
            try? FileManager.default.removeItem(atPath: output)
        }
        var g = SplitMix(seed: 11)
        func randomBlocks(_ type: GGMLType, _ count: Int) -> [UInt8] {
            var bytes = (0..<(count / type.blockSize * type.bytesPerBlock)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            // Keep f16 scales finite and small: set each block's scale fields to 0x2000 (≈ 0.0078).
            let scaleOffsets: [Int] = type == .q6_K ? [208] : type == .f16 ? [] : [0, 2]
            for b in 0..<(count / type.blockSize) {
                for o in scaleOffsets { bytes[b * type.bytesPerBlock + o] = 0; bytes[b * type.bytesPerBlock + o + 1] = 0x20 }
            }
            if type == .f16 { for i in stride(from: 1, to: bytes.count, by: 2) { bytes[i] &= 0x3B } }
            return bytes
        }
        var w = GGUFWriter()
        w.set("general.architecture", .string("tiny"))
        w.set("general.file_type", .uint32(15))
        w.set("tiny.n", .int32(3))
        try w.addTensor(name: "k4", shape: [256, 3], type: .q4_K, data: randomBlocks(.q4_K, 768))
        try w.addTensor(name: "k6", shape: [256, 2], type: .q6_K, data: randomBlocks(.q6_K, 512))
        try w.addTensor(name: "l5", shape: [64, 2, 2], type: .q5_1, data: randomBlocks(.q5_1, 256))
        try w.addTensor(name: "h", shape: [32, 3], type: .f16, data: randomBlocks(.f16, 96))
        try w.addTensor(name: "odd", shape: [48, 2], type: .f16, data: randomBlocks(.f16, 96))   // 48 % 32 ≠ 0
        try w.addTensor(name: "norm", shape: [64], type: .q8_0, data: randomBlocks(.q8_0, 64))  // 1-D
        try w.addTensor(name: "f", shape: [32, 2], type: .f32, data: (0..<64).flatMap { leBytes(Float($0)) })
        try w.write(to: input)

        let source = try GGUFFile(path: input)
        var seen: [String] = []
        let summary = try source.requantize(to: output, as: .q8_0) { _, t in seen.append(t.name) }
        XCTAssertEqual(seen, source.tensors.map(\.name))
        XCTAssertEqual(summary.quantized, ["k4", "k6", "l5", "h"])
        XCTAssertEqual(summary.keptAsF32, ["odd", "norm", "f"])
        let out = try GGUFFile(path: output)
        XCTAssertEqual(out.metadataKeys, ["general.architecture", "general.file_type", "tiny.n"])
        XCTAssertEqual(out.metadata["general.file_type"], .uint32(7))
        XCTAssertEqual(summary.bytesWritten, out.byteCount)
        for (s, o) in zip(source.tensors, out.tensors) {
            XCTAssertEqual(s.name, o.name)
            XCTAssertEqual(s.shape, o.shape)
            let x = try source.dequantized(s)
            if summary.quantized.contains(s.name) {
                XCTAssertEqual(o.type, .q8_0, s.name)
                var expected = [UInt8](repeating: 0, count: x.count / 32 * 34)
                x.withUnsafeBufferPointer { src in expected.withUnsafeMutableBytes { quantizeQ8_0(src, into: $0) } }
                XCTAssertEqual(out.withData(of: o) { Array($0) }, expected, s.name)
            } else {
                XCTAssertEqual(o.type, .f32, s.name)
                XCTAssertEqual(try out.dequantized(o), x, s.name)
            }
        }
        XCTAssertThrowsError(try source.requantize(to: output, as: .q4_0)) {
            XCTAssertEqual($0 as? GGUFError, .unsupportedType(.q4_0, operation: "requantize"))
        }
    }
}
