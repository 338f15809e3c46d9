import Foundation
import Infer
import XCTest

final class ConstraintTests: XCTestCase {
    static let personSchema = """
        {"type": "object",
         "properties": {
           "name": {"type": "string", "maxLength": 12},
           "age": {"type": "integer"},
           "height": {"type": "number"},
           "admin": {"type": "boolean"},
           "color": {"enum": ["red", "green", 7, null]},
           "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "bc"]}, "maxItems": 3},
           "pet": {"type": "object", "properties": {"kind": {"type": "string"}}, "required": ["kind"]},
           "extra": {}
         },
         "required": ["name", "age"]}
        """

    private func feeds(_ c: JSONSchemaConstraint, _ text: String) -> Bool {
        var c = c
        return c.allows(Array(text.utf8))
    }

    func testAcceptsValidAndRejectsInvalidPrefixes() throws {
        let c = try JSONSchemaConstraint(schema: Self.personSchema)
        XCTAssertTrue(feeds(c, #"{"name": "Ann", "age": 31}"#))
        XCTAssertTrue(feeds(c, #"{ "age" : -0 , "name":"\u00e9\n", "tags": ["a","bc"], "pet": {"kind": "cat"}}"#))
        XCTAssertTrue(feeds(c, #"{"name": "x", "age": 1, "color": null, "height": 1.5e-3, "extra": [1, {"q": true}]}"#))
        XCTAssertTrue(feeds(c, #"{"na"#))              // prefix of a declared key
        XCTAssertFalse(feeds(c, #"{"nope"#))            // no such property
        XCTAssertFalse(feeds(c, #"{"age": 1.5"#))       // integer has no fraction
        XCTAssertFalse(feeds(c, #"{"age": 1}"#))        // required "name" missing
        XCTAssertFalse(feeds(c, #"{"name": "a", "name""#))   // duplicate key
        XCTAssertFalse(feeds(c, #"{"color": "blue""#))
        XCTAssertFalse(feeds(c, #"{"color": 70"#))
        XCTAssertFalse(feeds(c, #"{"tags": ["a", "a", "a", "a""#))   // maxItems 3
        XCTAssertFalse(feeds(c, #"{"name": "0123456789abc"#))        // maxLength 12
        XCTAssertFalse(feeds(c, "{\"name\": \"a\nb"))                 // raw control character
        XCTAssertFalse(feeds(c, #"{"name": "\ud800"#))                // lone surrogate
        var bad = c
        XCTAssertFalse(bad.allows([0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0xC0, 0x80]))  // overlong UTF-8
        XCTAssertFalse(feeds(c, #"{"name": "a", "age": 1}}"#))        // trailing garbage
        XCTAssertFalse(feeds(c, #"{"pet": {}"#))                      // pet needs kind
    }

    func testCompletenessAndAccept() throws {
        var c = try JSONSchemaConstraint(schema: #"{"type": "integer"}"#)
        XCTAssertFalse(c.isComplete)
        try c.accept(Array("-12".utf8))
        XCTAssertTrue(c.isComplete)                      // a top-level number may end here
        try c.accept(Array("3".utf8))
        XCTAssertTrue(c.isComplete)
        XCTAssertThrowsError(try c.accept(Array(".".utf8))) {
            XCTAssertEqual($0 as? ConstraintError, .rejected(offset: 4, byte: 0x2E))
        }
        var o = try JSONSchemaConstraint(schema: #"{"type": "object", "properties": {"a": {"type": "boolean"}}}"#)
        try o.accept(Array(#"{"a": tr"#.utf8))
        XCTAssertFalse(o.isComplete)
        try o.accept(Array("ue}".utf8))
        XCTAssertTrue(o.isComplete)
        XCTAssertTrue(o.allows(Array("  \n".utf8)))
        XCTAssertFalse(o.allows(Array(" x".utf8)))
        XCTAssertFalse(o.allows(Array(String(repeating: " ", count: 100).utf8)))   // whitespace is capped
    }

    func testInvalidSchemasAreReported() {
        for bad in ["{", #"{"type": "widget"}"#, #"{"type": ["string", "null"]}"#, #"{"anyOf": []}"#,
                    #"{"type": "object", "properties": {"a": {}}, "required": ["b"]}"#, #"{"enum": []}"#, "3"] {
            XCTAssertThrowsError(try JSONSchemaConstraint(schema: bad), bad) { error in
                guard case .invalidSchema = error as? ConstraintError else { return XCTFail("\(error)") }
            }
        }
    }

    /// A fake vocabulary: every ASCII byte, multi-byte characters, and random multi-byte pieces of JSON-ish text.
    static func fakeVocabulary(seed: UInt64) -> [[UInt8]] {
        var rng = ConstraintTestRNG(state: seed)
        var vocab: [[UInt8]] = (0x20..<0x7F).map { [UInt8($0)] }
        vocab += [[0x0A], [0x09], Array("é".utf8), Array("你".utf8), Array("😀".utf8), [0xE4, 0xBD], [0xA0], [0xC3], []]
        let pieces = ["{\"", "\":", "\": ", ", \"", "\"}", "}}", "]}", "[\"", "\",", "name", "age", "tags", "pet", "kind",
                      "color", "red", "green", "true", "false", "null", "nul", "1.5", "e+3", "-0", "42", "\\n", "\\u00e9",
                      "\\", " ", "  ", "\n  ", "cat", "admin", "height", "extra", "bc", "\"a\"", "[]", "{}", "\"red\"",
                      "7", "0", "00", ".", "e", "E", "\"", "\u{1}"]
        vocab += pieces.map { Array($0.utf8) }
        for _ in 0..<150 {
            let n = Int(rng.next() % 4) + 2
            vocab.append((0..<n).map { _ in vocab[Int(rng.next() % UInt64(vocab.count))].first ?? 0x20 })
        }
        return vocab
    }

    /// Random sampling under the constraint always ends in a document that parses and validates.
    func testRandomSamplingYieldsValidDocuments() throws {
        let schemas = [Self.personSchema, "{}", #"{"type": "array", "items": {"type": "number"}, "minItems": 1}"#,
                       #"{"enum": ["x", 1, false, {"k": [1]}]}"#, #"{"type": "string"}"#]
        var vocab = Self.fakeVocabulary(seed: 1)
        let eos = Int32(vocab.count)
        vocab.append([])
        let masker = ConstraintMasker(tokenBytes: vocab, endOfGeneration: [eos])
        let closers: [[UInt8]] = ["\"", "}", "]", "0"].map { Array($0.utf8) }
        var rng = ConstraintTestRNG(state: 99)
        for schema in schemas {
            for run in 0..<60 {
                var c = try JSONSchemaConstraint(schema: schema)
                var out: [UInt8] = []
                var finished = false
                for step in 0..<600 {
                    let mask = masker.mask(&c)
                    let allowed = mask.indices.filter { mask[$0] }.map { Int32($0) }
                    XCTAssertFalse(allowed.isEmpty, "dead end after \(String(decoding: out, as: UTF8.self))")
                    if allowed.isEmpty { break }
                    var pick = allowed[Int(rng.next() % UInt64(allowed.count))]
                    if mask[Int(eos)], rng.next() % 3 == 0 { pick = eos }
                    if step > 100 {
                        // Steer towards closing so every run ends.
                        if mask[Int(eos)] { pick = eos } else if let close = closers.lazy.compactMap({ b in allowed.first { vocab[Int($0)] == b } }).first { pick = close }
                    }
                    if pick == eos { finished = true; break }
                    XCTAssertTrue(c.allows(vocab[Int(pick)]))
                    try c.accept(vocab[Int(pick)])
                    out += vocab[Int(pick)]
                }
                let text = String(decoding: out, as: UTF8.self)
                XCTAssertTrue(finished, "schema \(schema) run \(run) did not finish: \(String(reflecting: text))")
                XCTAssertTrue(c.isComplete)
                // Parses with Foundation's parser (independent of ours) and validates against the schema.
                XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed]), text)
                XCTAssertTrue(c.validates(text), "\(schema): \(text)")
            }
        }
    }

    /// Top-k sampling through the constraint convenience ends in a valid document on the real vocabulary.
    func testConstrainedTopKGenerationOnRealVocabulary() throws {
        let t = try TokenizerFixture.tokenizer()
        let masker = ConstraintMasker(tokenizer: t)
        let schema = #"{"type": "object", "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer"}}, "required": ["ok", "n"]}"#
        var c = try JSONSchemaConstraint(schema: schema)
        var sampler = Sampler(SamplerSettings(temperature: 0.7, topK: 20, seed: 9))
        var rng = ConstraintTestRNG(state: 11)
        var ids: [Int32] = []
        // Fake logits that favour closing tokens more and more, so the document ends.
        let closing = Set(["}", "\"", "0", " true", "true", ","].compactMap { t.encode($0, parseSpecial: false).first })
        let base = (0..<t.vocabularySize).map { _ in Float(rng.next() % 1000) / 200 }
        let favoured = Array(closing) + (0..<Int32(t.vocabularySize)).filter { t.isEndOfGeneration($0) }
        for step in 0..<200 {
            var logits = base
            for id in favoured { logits[Int(id)] += Float(step) / 10 }
            guard let id = sampler.sample(logits: &logits, recent: ids[...], constraint: &c, masker: masker, tokenizer: t) else {
                return XCTFail("constraint allowed nothing after \(t.decode(ids))")
            }
            if t.isEndOfGeneration(id) { break }
            ids.append(id)
        }
        let text = t.decode(ids)
        XCTAssertTrue(c.isComplete, text)
        XCTAssertTrue(c.validates(text), text)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(text.utf8)), text)
    }

    func testSamplerWithConstraintOnRealVocabulary() throws {
        let t = try TokenizerFixture.tokenizer()
        let masker = ConstraintMasker(tokenizer: t)
        var c = try JSONSchemaConstraint(schema: Self.personSchema)
        var sampler = Sampler(SamplerSettings(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 5))
        var rng = ConstraintTestRNG(state: 3)
        var ids: [Int32] = []
        let start = Date()
        let steps = 12
        for _ in 0..<steps {
            var logits = (0..<t.vocabularySize).map { _ in Float(rng.next() % 1000) / 100 }
            let mask = masker.mask(&c)
            let id = sampler.sample(logits: &logits, recent: ids[...], mask: mask)
            if t.isEndOfGeneration(id) { break }
            try c.accept(t.tokenBytes(id))
            ids.append(id)
        }
        let perMask = Date().timeIntervalSince(start) / Double(steps)
        print("constraint mask over \(t.vocabularySize) tokens: \(String(format: "%.1f", perMask * 1000)) ms per step (incl. sampling)")
        // Mask cost in two typical states (printed for BENCHMARKS.md; no timing assertion).
        for prefix in [#"{"name": "Al"#, #"{"pet": {"kind": "Al"#, #"{"name": "Al", "#] {
            var s = try JSONSchemaConstraint(schema: Self.personSchema)
            try s.accept(Array(prefix.utf8))
            let uncached = ConstraintMasker(tokenizer: t)
            let t0 = Date()
            let m = uncached.mask(&s)
            print("mask after \(String(reflecting: prefix)): \(String(format: "%.1f", Date().timeIntervalSince(t0) * 1000)) ms, \(m.filter { $0 }.count) tokens allowed")
        }
        // Whatever was produced is a valid prefix; greedy lazy checks agree with the mask.
        var g = Sampler(.greedy)
        var logits = (0..<t.vocabularySize).map { _ in Float(rng.next() % 1000) / 100 }
        let mask = masker.mask(&c)
        let lazy = g.sample(logits: &logits, recent: [], allowed: { masker.allows($0, &c) })
        XCTAssertTrue(mask[Int(lazy)])
    }
}

/// A tiny deterministic generator for tests.
struct ConstraintTestRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
