import Foundation
import GGUF

/// One golden case from `Fixtures/index.tsv` (written by `make-fixtures.py` with python `gguf`).
struct FixtureCase {
    var name: String
    var operation: String
    var type: GGMLType
    var elements: Int
    var source: String
    var input: [UInt8]
    var output: [UInt8]
}

enum Fixtures {
    static var directory: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "Fixtures folder missing from the test bundle"])
            }
            return url
        }
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func cases() throws -> [FixtureCase] {
        let dir = try directory
        return try text("index.tsv").split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let type = GGMLType.allCases.first { $0.name == f[2] }!
            return FixtureCase(name: f[0], operation: f[1], type: type, elements: Int(f[3])!, source: f[4],
                               input: try [UInt8](Data(contentsOf: dir.appendingPathComponent(f[0] + ".in"))),
                               output: try [UInt8](Data(contentsOf: dir.appendingPathComponent(f[0] + ".out"))))
        }
    }

    /// The reference model files, when `shared/tools/get-reference-model.sh` has fetched them.
    static func referenceModel(_ file: String) -> String? {
        let env = ProcessInfo.processInfo.environment
        let root = env["MILLER_REFS"] ?? ((env["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/miller-refs")
        let path = root + "/qwen2.5-coder-0.5b/" + file
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}

/// Bit patterns of floats stored little-endian in `bytes`.
func floatBits(_ bytes: [UInt8]) -> [UInt32] {
    stride(from: 0, to: bytes.count, by: 4).map {
        UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24
    }
}

/// The checksum `make-fixtures.py` writes: Σ bits(y[i]) · (i mod 65521 + 1), wrapping at 2^64.
func fixtureChecksum(_ y: UnsafeBufferPointer<Float>, startingAt start: Int = 0) -> UInt64 {
    var total: UInt64 = 0
    var w = UInt64(start % 65521) + 1
    for x in y {
        total &+= UInt64(x.bitPattern) &* w
        w = w == 65521 ? 1 : w + 1
    }
    return total
}
