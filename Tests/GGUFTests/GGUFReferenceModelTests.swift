import XCTest
import GGUF

/// Checks against the real Qwen2.5-Coder-0.5B files; skipped unless
/// `shared/tools/get-reference-model.sh` has fetched them into ~/.cache/miller-refs.
final class GGUFReferenceModelTests: XCTestCase {
    private func model(_ file: String) throws -> String {
        guard let path = Fixtures.referenceModel(file) else {
            throw XCTSkip("reference model \(file) not found under ~/.cache/miller-refs (run shared/tools/get-reference-model.sh); skipped")
        }
        return path
    }

    /// Keys, tensor infos and the dequantization of every tensor equal python gguf's (by checksum).
    func testMixedModelMatchesPythonGGUF() throws {
        let file = try GGUFFile(path: model("qwen2.5-coder-0.5b-instruct-mixed.gguf"))
        let lines = try Fixtures.text("qwen-mixed-manifest.tsv").split(separator: "\n").map(String.init)
        let keys = try XCTUnwrap(lines.first { $0.hasPrefix("# keys\t") }).split(separator: "\t").dropFirst().map(String.init)
        XCTAssertEqual(file.metadataKeys, keys)
        XCTAssertEqual(try file.strings("tokenizer.ggml.tokens").count, 151_936)
        XCTAssertEqual(try file.int("qwen2.embedding_length"), 896)
        let rows = lines.filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(file.tensors.count, rows.count)
        var floats = [Float](repeating: 0, count: 1 << 20)
        for (t, row) in zip(file.tensors, rows) {
            XCTAssertEqual(t.name, row[0])
            XCTAssertEqual(t.type.name, row[1], t.name)
            XCTAssertEqual(t.shape.map(String.init).joined(separator: ","), row[2], t.name)
            XCTAssertEqual(t.offset, Int(row[3]), t.name)
            XCTAssertEqual(t.byteCount, Int(row[4]), t.name)
            // Dequantize in chunks of whole rows and checksum exactly as make-fixtures.py does.
            let rowBytes = t.byteCount / t.rowCount
            let rowsPerChunk = max(1, floats.count / t.shape[0])
            var checksum: UInt64 = 0
            try file.withData(of: t) { src in
                var r = 0
                while r < t.rowCount {
                    let n = min(rowsPerChunk, t.rowCount - r)
                    let count = n * t.shape[0]
                    try floats.withUnsafeMutableBufferPointer { y in
                        try dequantize(t.type, UnsafeRawBufferPointer(rebasing: src[(r * rowBytes)..<((r + n) * rowBytes)]),
                                       count: count, into: y)
                        checksum &+= fixtureChecksum(UnsafeBufferPointer(rebasing: y[0..<count]), startingAt: r * t.shape[0])
                    }
                    r += n
                }
            }
            XCTAssertEqual(String(checksum), row[5], "dequantized \(t.name) (\(t.type.name)) differs from python gguf")
        }
    }

    /// Opening the 640 MiB Q8_0 model maps it and parses only the header (printed, not asserted).
    func testLoadTimeIsReported() throws {
        let path = try model("qwen2.5-coder-0.5b-instruct-q8_0.gguf")
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            let file = try GGUFFile(path: path)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
            XCTAssertEqual(file.tensors.count, 291)
        }
        print(String(format: "GGUF load: GGUFFile(path:) on the %.0f MiB Q8_0 model takes %.1f ms (best of 5)",
                     Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1048576, best * 1000))
    }

    /// `requantize` reproduces the reference script's Q8_0 copy tensor for tensor, byte for byte.
    func testRequantizeMatchesReferenceQ8_0Copy() throws {
        let mixed = try GGUFFile(path: model("qwen2.5-coder-0.5b-instruct-mixed.gguf"))
        let reference = try GGUFFile(path: model("qwen2.5-coder-0.5b-instruct-q8_0.gguf"))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("miller-q8-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let summary = try mixed.requantize(to: out, as: .q8_0)
        XCTAssertEqual(summary.quantized.count + summary.keptAsF32.count, mixed.tensors.count)
        let ours = try GGUFFile(path: out)
        XCTAssertEqual(try ours.int("general.file_type"), 7)
        XCTAssertEqual(ours.metadataKeys, reference.metadataKeys)
        for key in reference.metadataKeys { XCTAssertEqual(ours.metadata[key], reference.metadata[key], key) }
        XCTAssertEqual(ours.tensors.count, reference.tensors.count)
        for (a, b) in zip(ours.tensors, reference.tensors) {
            XCTAssertEqual(a, b)
            let same = ours.withData(of: a) { x in reference.withData(of: b) { y in x.elementsEqual(y) } }
            XCTAssertTrue(same, "tensor \(a.name) bytes differ from the reference Q8_0 copy")
        }
    }
}
