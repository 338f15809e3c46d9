import Foundation
import GGUF
import Infer
import XCTest

/// The Qwen2.5 tokenizer from the committed tokenizer-only GGUF fixture, loaded once.
enum TokenizerFixture {
    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        .appendingPathComponent("tokenizer")

    static let qwen: Result<Tokenizer, Error> = Result {
        try Tokenizer(gguf: GGUFFile(path: directory.appendingPathComponent("qwen2.5-tokenizer.gguf").path))
    }

    static func tokenizer() throws -> Tokenizer { try qwen.get() }

    /// One golden case: input bytes, mode, llama.cpp's ids.
    struct Case { var bytes: [UInt8]; var parseSpecial: Bool; var ids: [Int32] }

    /// Reads `goldens.bin` (format in scripts/infer/tokenizer-goldens.py).
    static func goldens() throws -> [Case] {
        let data = try [UInt8](Data(contentsOf: directory.appendingPathComponent("goldens.bin")))
        var p = 0
        func u32() throws -> UInt32 {
            guard p + 4 <= data.count else { throw CocoaError(.fileReadCorruptFile) }
            defer { p += 4 }
            return UInt32(data[p]) | UInt32(data[p + 1]) << 8 | UInt32(data[p + 2]) << 16 | UInt32(data[p + 3]) << 24
        }
        guard data.count >= 12, Array(data[0..<4]) == Array("MTKG".utf8) else { throw CocoaError(.fileReadCorruptFile) }
        p = 4
        _ = try u32()
        let count = Int(try u32())
        var cases: [Case] = []
        for _ in 0..<count {
            let flags = data[p]; p += 1
            let n = Int(try u32())
            let bytes = Array(data[p..<p + n]); p += n
            let m = Int(try u32())
            var ids: [Int32] = []
            for _ in 0..<m { ids.append(Int32(bitPattern: try u32())) }
            cases.append(Case(bytes: bytes, parseSpecial: flags & 1 != 0, ids: ids))
        }
        return cases
    }

    static func describe(_ bytes: [UInt8]) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return String(reflecting: s) }
        return "bytes " + bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

final class TokenizerTests: XCTestCase {
    func testMetadata() throws {
        let t = try TokenizerFixture.tokenizer()
        XCTAssertEqual(t.vocabularySize, 151_936)
        XCTAssertEqual(t.eos, 151_645)            // <|im_end|> in this instruct model's metadata
        XCTAssertEqual(t.bos, 151_643)
        XCTAssertEqual(t.eot, 151_645)
        XCTAssertFalse(t.addsBOS)
        XCTAssertTrue(t.isEndOfGeneration(151_645))
        XCTAssertTrue(t.isEndOfGeneration(151_643))
        XCTAssertFalse(t.isEndOfGeneration(9707))
        XCTAssertEqual(t.tokenID(forText: "<|im_start|>"), 151_644)
    }

    func testKnownIDs() throws {
        let t = try TokenizerFixture.tokenizer()
        XCTAssertEqual(t.encode("Hello world"), [9707, 1879])
        XCTAssertEqual(t.encode(""), [])
        XCTAssertEqual(t.encode("<|im_start|>user"), [151_644, 872])
        // Without special parsing the control-token text is ordinary text.
        XCTAssertNotEqual(t.encode("<|im_start|>", parseSpecial: false), [151_644])
        // Digits are split one by one.
        XCTAssertEqual(t.encode("12345").count, 5)
    }

    func testRoundTrip() throws {
        let t = try TokenizerFixture.tokenizer()
        for s in ["Hello, world!", "你好，世界", "👨‍👩‍👧‍👦 family", "  spaces\t\ttabs\r\nlines  ", "<|im_start|>x<|im_end|>",
                  "def f(x):\n    return x ** 2\n"] {
            XCTAssertEqual(t.decode(t.encode(s)), s)
        }
        XCTAssertEqual(t.tokenBytes(151_644), Array("<|im_start|>".utf8))
        XCTAssertEqual(t.tokenBytes(151_700), [])      // padding entry
        XCTAssertEqual(t.tokenBytes(-1), [])
    }

    func testInvalidUTF8BecomesReplacementCharacter() throws {
        let t = try TokenizerFixture.tokenizer()
        XCTAssertEqual(t.encode(bytes: [0x61, 0xFF, 0x62]), t.encode("a\u{FFFD}b"))
        XCTAssertEqual(t.encode(bytes: [0xC3]), t.encode("\u{FFFD}"))
    }

    /// llama.cpp's ids for the committed corpus (≥ 2000 strings, both special-token modes).
    func testGoldenCorpus() throws {
        let t = try TokenizerFixture.tokenizer()
        let cases = try TokenizerFixture.goldens()
        XCTAssertGreaterThanOrEqual(cases.count, 4000)
        var failures = 0
        for c in cases {
            let ids = t.encode(bytes: c.bytes, parseSpecial: c.parseSpecial, addSpecial: true)
            if ids != c.ids {
                failures += 1
                if failures <= 10 {
                    XCTFail("\(TokenizerFixture.describe(c.bytes)) parseSpecial=\(c.parseSpecial): got \(ids), llama.cpp \(c.ids)")
                }
            }
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(cases.count) golden cases differ")
    }

    /// The same check against the real model file when it is present.
    func testRealModelWhenPresent() throws {
        let path = ProcessInfo.processInfo.environment["MILLER_QWEN_GGUF"]
            ?? NSHomeDirectory() + "/.cache/miller-refs/qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-q8_0.gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("real model not found at \(path): skipped (set MILLER_QWEN_GGUF)")
        }
        let t = try Tokenizer(gguf: GGUFFile(path: path))
        let cases = try TokenizerFixture.goldens()
        for c in cases {
            XCTAssertEqual(t.encode(bytes: c.bytes, parseSpecial: c.parseSpecial), c.ids,
                           TokenizerFixture.describe(c.bytes))
        }
    }

    func testStreamingDecoderNeverSplitsCharacters() throws {
        let t = try TokenizerFixture.tokenizer()
        let text = "naïve 你好 👨‍👩‍👧‍👦 🇯🇵 end"
        // Byte-level tokens: every byte its own token, so multi-byte characters arrive in pieces.
        var tokenForByte = [Int32](repeating: -1, count: 256)
        for id in 0..<Int32(t.vocabularySize) where t.kind(id) == .normal {
            let bytes = t.tokenBytes(id)
            if bytes.count == 1 { tokenForByte[Int(bytes[0])] = id }
        }
        XCTAssertFalse(tokenForByte.contains(-1))
        let byteTokens = text.utf8.map { tokenForByte[Int($0)] }
        var decoder = StreamingDecoder(tokenizer: t)
        var pieces: [String] = []
        for id in byteTokens {
            let piece = decoder.append(id)
            XCTAssertFalse(piece.unicodeScalars.contains("\u{FFFD}"), "split character in \(piece)")
            pieces.append(piece)
        }
        pieces.append(decoder.flush())
        XCTAssertEqual(pieces.joined(), text)

        // An incomplete sequence left at the end comes out as U+FFFD on flush.
        var d2 = StreamingDecoder(tokenizer: t)
        XCTAssertEqual(d2.append(t.encode("a")[0]), "a")
        XCTAssertEqual(d2.append(tokenForByte[0xE4]), "")
        XCTAssertEqual(d2.append(tokenForByte[0xBD]), "")
        XCTAssertEqual(d2.flush(), "\u{FFFD}")
    }

    func testUnsupportedMetadataErrors() {
        XCTAssertThrowsError(try Tokenizer(vocabulary: TokenizerVocabulary(tokens: ["a"], merges: [], model: "llama"))) {
            XCTAssertEqual($0 as? TokenizerError, .unsupportedModel("llama"))
            XCTAssertTrue("\($0)".contains("llama"))
        }
        XCTAssertThrowsError(try Tokenizer(vocabulary: TokenizerVocabulary(tokens: ["a"], merges: [], preTokenizer: "gpt-4o"))) {
            XCTAssertEqual($0 as? TokenizerError, .unsupportedPreTokenizer("gpt-4o"))
            XCTAssertTrue("\($0)".contains("gpt-4o"))
        }
        XCTAssertThrowsError(try Tokenizer(vocabulary: TokenizerVocabulary(tokens: ["a"], tokenTypes: [1, 1], merges: [])))
        XCTAssertThrowsError(try Tokenizer(vocabulary: TokenizerVocabulary(tokens: ["a"], merges: [], eos: 5)))
        XCTAssertThrowsError(try Tokenizer(vocabulary: TokenizerVocabulary(tokens: [], merges: [])))
    }

    /// A hand-made vocabulary: merges apply lowest rank first, leftmost on ties.
    func testMergeOrderOnToyVocabulary() throws {
        let tokens = ["a", "b", "c", "ab", "bc", "abc", "aa", "Ġ", "Ġa"]
        let t = try Tokenizer(vocabulary: TokenizerVocabulary(tokens: tokens, merges: ["b c", "a b", "a bc", "a a", "Ġ a"]))
        XCTAssertEqual(t.encode("abc"), [5])           // b c first, then a bc
        XCTAssertEqual(t.encode("ab"), [3])
        XCTAssertEqual(t.encode("aaa"), [6, 0])        // leftmost pair merges first
        XCTAssertEqual(t.encode(" a"), [8])
        XCTAssertEqual(t.encode("cab"), [2, 3])
    }
}
