import XCTest
import Spice

/// `.include` and `.lib` with files on disk: relative paths, sections, nesting.
final class NetlistIncludeTests: XCTestCase {
    func testIncludeAndLibSections() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/Models/corners", withIntermediateDirectories: true)
        // The library's sections include files relative to the library, not to the deck.
        try """
        * corner library
        .lib tt
        .param vt=0.5
        .include corners/Typical.spice
        .endl tt
        .lib ff
        .param vt=0.4
        .include corners/Typical.spice
        .endl
        """.write(toFile: dir + "/Models/all.lib", atomically: true, encoding: .utf8)
        try """
        .model NCH nmos (level=1 vto={vt}
        + kp=100u)
        """.write(toFile: dir + "/Models/corners/Typical.spice", atomically: true, encoding: .utf8)
        try "r9 a 0 9\n".write(toFile: dir + "/Sub Dir.inc", atomically: true, encoding: .utf8)
        try """
        deck with includes
        .lib "Models/all.lib" FF
        .include 'Sub Dir.inc'
        m1 d g 0 0 nch w=1u l=1u
        .lib local
        r8 a 0 8
        .endl
        .end
        """.write(toFile: dir + "/top.cir", atomically: true, encoding: .utf8)
        let deck = try Deck.load(path: dir + "/top.cir")
        XCTAssertEqual(deck.title, "deck with includes")
        XCTAssertEqual(deck.models["nch"]?.parameters["vto"], 0.4)
        XCTAssertEqual(deck.models["nch"]?.location, SourceLocation(file: dir + "/Models/corners/Typical.spice", line: 1))
        XCTAssertEqual(deck.elements.map(\.name), ["r9", "m1"])  // `.lib local` is a definition, not used
        XCTAssertEqual(element(deck, "r9")?.location, SourceLocation(file: dir + "/Sub Dir.inc", line: 1))
    }

    func testSameFileIncludedTwiceIsNotACycle() throws {
        let dir = try temporaryDirectory()
        try ".param k=2\n".write(toFile: dir + "/p.inc", atomically: true, encoding: .utf8)
        let deck = try parseDeck("t\n.include p.inc\n.include p.inc\nr1 a 0 {k}\n", directory: dir)
        XCTAssertEqual(resistance(deck, "r1"), 2)
    }

    func testLoadMissingDeck() {
        XCTAssertThrowsError(try Deck.load(path: "/nonexistent/deck.cir")) { error in
            XCTAssertEqual((error as? NetlistError)?.description, "cannot read deck file '/nonexistent/deck.cir'")
        }
    }
}
