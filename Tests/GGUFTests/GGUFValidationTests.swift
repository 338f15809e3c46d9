import XCTest
import GGUF

/// Every malformed-file case yields its typed error with the offending offset, key or tensor name.
final class GGUFValidationTests: XCTestCase {
    private func expect(_ bytes: [UInt8], _ expected: GGUFError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try GGUFFile(bytes: bytes), file: file, line: line) { error in
            XCTAssertEqual(error as? GGUFError, expected, file: file, line: line)
        }
    }

    /// A file with one tensor `t` of `dims`/`type` at data offset `offset` and `dataBytes` of data.
    private func oneTensor(dims: [UInt64], type: UInt32 = 0, offset: UInt64 = 0, dataBytes: Int = 64, name: String = "t") -> [UInt8] {
        var r = RawGGUF()
        r.header(tensors: 1, pairs: 0)
        r.tensorInfo(name, dims: dims, type: type, offset: offset)
        r.pad()
        r.zeros(dataBytes)
        return r.bytes
    }

    func testBadMagicAndVersion() {
        expect(Array("GGUX".utf8) + [3, 0, 0, 0], .badMagic(found: 0x5855_4747, offset: 0))
        expect([], .truncated(what: "magic", offset: 0, needed: 4, available: 0))
        var r = RawGGUF()
        r.header(version: 4, tensors: 0, pairs: 0)
        expect(r.bytes, .unsupportedVersion(4, offset: 4))
        var be = RawGGUF()
        be.u32(GGUFFormat.magic); be.u32(0x0300_0000)       // a big-endian file
        expect(be.bytes, .unsupportedVersion(0x0300_0000, offset: 4))
    }

    func testTruncationIsReportedWhereItHappens() throws {
        var r = RawGGUF()
        r.header(tensors: 0, pairs: 1)
        expect(Array(r.bytes[0..<10]), .truncated(what: "tensor count", offset: 8, needed: 8, available: 2))
        r.string("key")
        r.u32(4)
        expect(r.bytes, .truncated(what: "u32 value of 'key'", offset: 39, needed: 4, available: 0))
        // Every proper prefix of a valid file fails with a GGUFError (and none crashes).
        let full = try sampleWriter().serialize()
        let f = try GGUFFile(bytes: full)
        for n in 0..<(f.dataSectionOffset + f.tensors.last!.offset + f.tensors.last!.byteCount) {
            XCTAssertThrowsError(try GGUFFile(bytes: Array(full[0..<n]))) { XCTAssertTrue($0 is GGUFError, "prefix \(n): \($0)") }
        }
    }

    func testAbsurdCountsAreRejectedBeforeAllocating() {
        var r = RawGGUF()
        r.header(tensors: 0, pairs: .max)
        expect(r.bytes, .countTooLarge(what: "metadata key/value count", count: .max, offset: 16, remaining: 0))
        r = RawGGUF()
        r.header(tensors: 1 << 40, pairs: 0)
        expect(r.bytes, .countTooLarge(what: "tensor count", count: 1 << 40, offset: 8, remaining: 0))
        r = RawGGUF()
        r.header(tensors: 0, pairs: 1)
        r.u64(1 << 62); r.zeros(12)
        expect(r.bytes, .countTooLarge(what: "length of metadata key", count: 1 << 62, offset: 24, remaining: 12))
        r = RawGGUF()
        r.header(tensors: 0, pairs: 1)
        r.string("arr"); r.u32(9); r.u32(8); r.u64(0x7FFF_FFFF_FFFF_FFFF); r.zeros(16)
        expect(r.bytes, .countTooLarge(what: "element count of array 'arr'", count: 0x7FFF_FFFF_FFFF_FFFF, offset: 43, remaining: 16))
    }

    func testDuplicatesAndUnknownTypes() {
        var r = RawGGUF()
        r.header(tensors: 0, pairs: 2)
        r.pairU32("a", 1)
        r.pairU32("a", 2)
        expect(r.bytes, .duplicateKey("a", offset: 41))

        r = RawGGUF()
        r.header(tensors: 2, pairs: 0)
        r.tensorInfo("w", dims: [4], type: 0, offset: 0)
        r.tensorInfo("w", dims: [4], type: 0, offset: 32)
        r.pad(); r.zeros(64)
        expect(r.bytes, .duplicateTensor("w", offset: 57))

        r = RawGGUF()
        r.header(tensors: 0, pairs: 1)
        r.string("k"); r.u32(13); r.u32(0)
        expect(r.bytes, .unknownValueType(13, key: "k", offset: 33))
        r = RawGGUF()
        r.header(tensors: 0, pairs: 1)
        r.string("k"); r.u32(9); r.u32(99); r.u64(0)
        expect(r.bytes, .unknownValueType(99, key: "k", offset: 37))

        expect(oneTensor(dims: [32], type: 4), .unknownTensorType(4, tensor: "t", offset: 45))
        expect(oneTensor(dims: [32], type: 1000), .unknownTensorType(1000, tensor: "t", offset: 45))
    }

    func testShapesAndBlocks() {
        let maxPlus: UInt64 = 1 << 63   // "negative" as an int64
        expect(oneTensor(dims: [0]), .invalidShape(tensor: "t", shape: [0], offset: 33))
        expect(oneTensor(dims: [4, maxPlus]), .invalidShape(tensor: "t", shape: [4, maxPlus], offset: 33))
        expect(oneTensor(dims: [1 << 32, 1 << 32]), .invalidShape(tensor: "t", shape: [1 << 32, 1 << 32], offset: 33))
        // Element count fits but the byte count overflows.
        expect(oneTensor(dims: [1 << 31, 1 << 31]), .invalidShape(tensor: "t", shape: [1 << 31, 1 << 31], offset: 33))
        expect(oneTensor(dims: [1, 1, 1, 1, 1]), .badDimensionCount(tensor: "t", count: 5, offset: 33))
        expect(oneTensor(dims: []), .badDimensionCount(tensor: "t", count: 0, offset: 33))
        expect(oneTensor(dims: [16, 2], type: GGMLType.q8_0.rawValue),
               .notBlockAligned(tensor: "t", firstDimension: 16, type: .q8_0, offset: 33))
        expect(oneTensor(dims: [128], type: GGMLType.q4_K.rawValue, dataBytes: 512),
               .notBlockAligned(tensor: "t", firstDimension: 128, type: .q4_K, offset: 33))
    }

    func testTensorDataBounds() throws {
        expect(oneTensor(dims: [17], dataBytes: 64),
               .tensorOutOfBounds(tensor: "t", dataOffset: 0, byteCount: 68, dataSectionSize: 64, offset: 24))
        expect(oneTensor(dims: [4], offset: 64, dataBytes: 64),
               .tensorOutOfBounds(tensor: "t", dataOffset: 64, byteCount: 16, dataSectionSize: 64, offset: 24))
        expect(oneTensor(dims: [4], offset: UInt64.max - 31, dataBytes: 64),
               .tensorOutOfBounds(tensor: "t", dataOffset: UInt64.max - 31, byteCount: 16, dataSectionSize: 64, offset: 24))
        expect(oneTensor(dims: [4], offset: 8, dataBytes: 64),
               .misalignedTensor(tensor: "t", dataOffset: 8, alignment: 32, offset: 24))
        var r = RawGGUF()
        r.header(tensors: 2, pairs: 0)
        r.tensorInfo("a", dims: [16], type: 0, offset: 32)      // 64 bytes: 32..<96
        r.tensorInfo("b", dims: [8], type: 0, offset: 64)       // 32 bytes: 64..<96
        r.pad(); r.zeros(128)
        expect(r.bytes, .tensorsOverlap("a", "b", dataOffset: 64))
        // Exactly filling the data section is fine.
        let ok = try GGUFFile(bytes: oneTensor(dims: [16], dataBytes: 64))
        XCTAssertEqual(ok.tensors.first?.byteCount, 64)
        XCTAssertEqual(ok.withData(of: ok.tensors[0]) { $0.count }, 64)
    }

    func testInvalidUTF8() {
        var r = RawGGUF()
        r.header(tensors: 0, pairs: 1)
        r.rawString([0x61, 0xFF]); r.u32(4); r.u32(0)
        expect(r.bytes, .invalidUTF8(what: "metadata key", offset: 24))
        r = RawGGUF()
        r.header(tensors: 0, pairs: 1)
        r.string("k"); r.u32(8); r.rawString([0xC3, 0x28])
        expect(r.bytes, .invalidUTF8(what: "string value of 'k'", offset: 37))
        r = RawGGUF()
        r.header(tensors: 0, pairs: 1)
        r.string("k"); r.u32(9); r.u32(8); r.u64(2); r.string("ok"); r.rawString([0xED, 0xA0, 0x80])   // surrogate
        expect(r.bytes, .invalidUTF8(what: "string value of 'k'", offset: 59))
        r = RawGGUF()
        r.header(tensors: 1, pairs: 0)
        r.rawString([0x80]); r.u32(1); r.u64(4); r.u32(0); r.u64(0)
        r.pad(); r.zeros(32)
        expect(r.bytes, .invalidUTF8(what: "tensor name", offset: 24))
    }

    func testAlignment() throws {
        for (value, ok) in [(UInt32(64), true), (1, true), (48, false), (0, false)] {
            var r = RawGGUF()
            r.header(tensors: 1, pairs: 1)
            r.pairU32("general.alignment", value)
            r.tensorInfo("t", dims: [4], type: 0, offset: 0)
            r.pad(64); r.zeros(64)
            if ok {
                let f = try GGUFFile(bytes: r.bytes)
                XCTAssertEqual(f.alignment, Int(value))
                XCTAssertEqual(f.dataSectionOffset % Int(value), 0)
            } else {
                expect(r.bytes, .invalidAlignment("\(value) (u32)", offset: 49))
            }
        }
        var r = RawGGUF()
        r.header(tensors: 0, pairs: 1)
        r.string("general.alignment"); r.u32(8); r.string("32")
        expect(r.bytes, .invalidAlignment("\"32\" (string)", offset: 49))
    }

    func testNestingDepthIsBounded() throws {
        func nested(_ depth: Int) -> [UInt8] {
            var r = RawGGUF()
            r.header(tensors: 0, pairs: 1)
            r.string("n"); r.u32(9)
            for _ in 0..<(depth - 1) { r.u32(9); r.u64(1) }
            r.u32(0); r.u64(1); r.u8(42)
            return r.bytes
        }
        let ok = try GGUFFile(bytes: nested(GGUFFormat.maxArrayNesting))
        var v = try XCTUnwrap(ok.metadata["n"])
        for _ in 0..<GGUFFormat.maxArrayNesting { v = try XCTUnwrap(v.arrayValue?.first) }
        XCTAssertEqual(v, .uint8(42))
        XCTAssertThrowsError(try GGUFFile(bytes: nested(GGUFFormat.maxArrayNesting + 1))) {
            guard case GGUFError.nestingTooDeep(let key, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(key, "n")
        }
        // A million nested arrays must not blow the stack.
        XCTAssertThrowsError(try GGUFFile(bytes: nested(1_000_000)))
    }

    func testErrorDescriptionsSayWhatAndWhere() {
        let e = GGUFError.tensorOutOfBounds(tensor: "blk.0.w", dataOffset: 64, byteCount: 16, dataSectionSize: 64, offset: 24)
        XCTAssertTrue(e.description.contains("blk.0.w") && e.description.contains("offset 24"))
        XCTAssertTrue(GGUFError.badMagic(found: 1, offset: 0).description.contains("offset 0"))
    }

    func testWriterRejectsInconsistentTensors() {
        var w = GGUFWriter()
        XCTAssertThrowsError(try w.addTensor(name: "a", shape: [4], type: .f32, data: [0, 0]))
        XCTAssertThrowsError(try w.addTensor(name: "a", shape: [16], type: .q8_0, data: []))
        XCTAssertThrowsError(try w.addTensor(name: "a", shape: [1, 1, 1, 1, 1], type: .f32, data: [UInt8](repeating: 0, count: 4)))
        XCTAssertNoThrow(try w.addTensor(name: "a", shape: [1], type: .f32, data: [0, 0, 0, 0]))
        XCTAssertThrowsError(try w.addTensor(name: "a", shape: [1], type: .f32, data: [0, 0, 0, 0]))
        w.set("mixed", .array([.uint8(1), .string("x")]))
        XCTAssertThrowsError(try w.write(to: "/tmp/never-written.gguf")) {
            guard case GGUFError.invalidWrite = $0 else { return XCTFail("\($0)") }
        }
    }

    func testStreamedWriteChecksByteCounts() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-stream-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var w = GGUFWriter()
        try w.declareTensor(name: "x", shape: [8], type: .f32)
        XCTAssertThrowsError(try w.write(to: path) { _, emit in try emit(UnsafeRawBufferPointer(start: nil, count: 0)) })
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
        let values: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        try w.write(to: path) { info, emit in
            XCTAssertEqual(info.byteCount, 32)
            try values.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<12])); try emit(UnsafeRawBufferPointer(rebasing: $0[12...])) }
        }
        let f = try GGUFFile(path: path)
        XCTAssertEqual(try f.dequantized(f.tensors[0]), values)
    }
}
