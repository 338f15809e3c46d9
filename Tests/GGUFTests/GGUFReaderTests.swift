import XCTest
import GGUF

final class GGUFReaderTests: XCTestCase {
    func testRoundTripKeepsEverything() throws {
        for alignment in [32, 64, 8] {
            let w = try sampleWriter(alignment: alignment)
            let bytes = w.serialize()
            let f = try GGUFFile(bytes: bytes)
            XCTAssertEqual(f.version, 3)
            XCTAssertEqual(f.alignment, alignment)
            var keys = w.metadataKeys
            if alignment != 32 { keys.append("general.alignment") }
            XCTAssertEqual(f.metadataKeys, keys)
            XCTAssertEqual(f.metadata["t.u64"], .uint64(UInt64.max))
            XCTAssertEqual(f.metadata["t.i64"], .int64(Int64.min))
            XCTAssertEqual(f.metadata["t.f64"], .float64(-2.25e100))
            XCTAssertEqual(f.metadata["t.nested"], .array([.array([.uint8(1), .uint8(2)]), .array([]), .array([.uint8(3)])]))
            XCTAssertEqual(try f.string("t.string"), "héllo ✓ <|im_end|>")
            XCTAssertEqual(try f.strings("t.strings"), ["a", "", "Ġthe"])
            XCTAssertEqual(try f.ints("t.ints"), [1, -2, 3])
            XCTAssertEqual(try f.floats("t.floats"), [0.5, -1])
            XCTAssertEqual(try f.int("t.u32"), 4_000_000_000)
            XCTAssertEqual(try f.int("t.i8"), -100)
            XCTAssertEqual(try f.float("t.f32"), 1.5e-6)
            XCTAssertEqual(try f.float("t.u16"), 60000)
            XCTAssertEqual(f.tensors, w.tensorInfos)
            XCTAssertEqual(f.tensors.map(\.name), ["a.f32", "b.f16", "c.q8_0", "d.bf16"])
            XCTAssertEqual(f.tensor(named: "d.bf16")?.shape, [2, 1, 1, 3])
            XCTAssertEqual(f.tensor(named: "c.q8_0")?.byteCount, 68)
            XCTAssertNil(f.tensor(named: "nope"))
            for t in f.tensors { XCTAssertEqual(t.offset % alignment, 0) }
            XCTAssertEqual(f.dataSectionOffset % alignment, 0)
            let a = try f.dequantized(XCTUnwrap(f.tensor(named: "a.f32")))
            XCTAssertEqual(a, (0..<64).map { Float($0) * 0.25 - 3 })
            XCTAssertEqual(try f.dequantized(XCTUnwrap(f.tensor(named: "b.f16"))), (0..<8).map { Float($0) - 3.5 })
            XCTAssertEqual(try f.dequantized(XCTUnwrap(f.tensor(named: "d.bf16"))), [0, 1, 2, 3, 4, 5])
            let q = try f.dequantized(XCTUnwrap(f.tensor(named: "c.q8_0")))
            for (x, y) in zip(q, a) { XCTAssertEqual(x, y, accuracy: 12.75 / 127 / 2 + 1e-3) }   // half a step of the larger block
            // Re-serializing what we read gives the same bytes.
            var w2 = GGUFWriter()
            w2.alignment = f.alignment
            for k in f.metadataKeys { w2.set(k, f.metadata[k]!) }
            for t in f.tensors {
                try w2.addTensor(name: t.name, shape: t.shape, type: t.type, data: f.withData(of: t) { Array($0) })
            }
            XCTAssertEqual(w2.serialize(), bytes)
        }
    }

    func testWriteToFileAndMap() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-rt-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try sampleWriter()
        try w.write(to: path)
        let mapped = try GGUFFile(path: path)
        let memory = try GGUFFile(bytes: w.serialize())
        XCTAssertEqual(mapped.metadataKeys, memory.metadataKeys)
        XCTAssertEqual(mapped.tensors, memory.tensors)
        for t in mapped.tensors {
            XCTAssertEqual(mapped.withData(of: t) { Array($0) }, memory.withData(of: t) { Array($0) })
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
    }

    func testMissingFileNamesPath() {
        XCTAssertThrowsError(try GGUFFile(path: "/nonexistent/x.gguf")) { e in
            guard case GGUFError.cannotOpen(let p, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(p, "/nonexistent/x.gguf")
        }
    }

    func testEmptyFileAndDirectory() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-empty-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: empty) }
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertThrowsError(try GGUFFile(path: empty)) {
            XCTAssertEqual($0 as? GGUFError, .truncated(what: "magic", offset: 0, needed: 4, available: 0))
        }
        XCTAssertThrowsError(try GGUFFile(path: FileManager.default.temporaryDirectory.path)) { e in
            guard case GGUFError.cannotOpen(_, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(reason, "not a regular file")
        }
    }

    func testTypedHelpersNameTheKey() throws {
        let f = try GGUFFile(bytes: sampleWriter().serialize())
        XCTAssertThrowsError(try f.int("absent")) { XCTAssertEqual($0 as? GGUFError, .missingKey("absent")) }
        XCTAssertThrowsError(try f.int("t.string")) { e in
            XCTAssertEqual(e as? GGUFError, .wrongType(key: "t.string", expected: "integer", found: "string"))
            XCTAssertTrue("\(e)".contains("t.string"))
        }
        XCTAssertThrowsError(try f.int("t.u64")) { e in   // UInt64.max does not fit in Int
            guard case GGUFError.wrongType(let key, _, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "t.u64")
        }
        XCTAssertThrowsError(try f.strings("t.ints")) { e in
            XCTAssertEqual(e as? GGUFError, .wrongType(key: "t.ints", expected: "array of strings", found: "array of i32"))
        }
        XCTAssertThrowsError(try f.string("t.strings"))
        XCTAssertThrowsError(try f.floats("t.string"))
    }

    func testVersion2IsReadAndVersion1Rejected() throws {
        var raw = RawGGUF()
        raw.header(version: 2, tensors: 0, pairs: 1)
        raw.pairU32("a", 7)
        let f = try GGUFFile(bytes: raw.bytes)
        XCTAssertEqual(f.version, 2)
        XCTAssertEqual(try f.int("a"), 7)

        var v1 = RawGGUF()
        v1.header(version: 1, tensors: 0, pairs: 0)
        XCTAssertThrowsError(try GGUFFile(bytes: v1.bytes)) {
            XCTAssertEqual($0 as? GGUFError, .unsupportedVersion(1, offset: 4))
            XCTAssertTrue("\($0)".contains("version 1"))
        }
    }
}
