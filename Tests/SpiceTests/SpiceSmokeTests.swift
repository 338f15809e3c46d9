import XCTest
import Spice

final class SpiceSmokeTests: XCTestCase {
    func testModuleLinks() {}
}
