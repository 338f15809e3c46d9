import XCTest
import Spice

/// BSIM cards write `version=3.3.0`, which is no SPICE number; the card keeps major.minor.
final class NetlistModelVersionTests: XCTestCase {
    func testDottedVersionIsReadAsMajorMinor() throws {
        let deck = try Deck.parse("""
            title
            .model n1 nmos level=8 version=3.3.0 tox=4e-9
            .model n2 nmos level=8 version=3.3
            m1 d g 0 0 n1 w=1u l=1u
            m2 d g 0 0 n2 w=1u l=1u
            vd d 0 1
            vg g 0 1
            .end
            """)
        XCTAssertEqual(deck.models["n1"]?.parameters["version"], 3.3)
        XCTAssertEqual(deck.models["n2"]?.parameters["version"], 3.3)
    }

    func testOtherMalformedValuesStillFail() {
        XCTAssertThrowsError(try Deck.parse("""
            title
            .model n1 nmos level=8 tox=4.0.0
            .end
            """))
        XCTAssertThrowsError(try Deck.parse("""
            title
            .model n1 nmos level=8 version=3..3
            .end
            """))
    }
}
