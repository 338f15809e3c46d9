import XCTest
import GGUF

final class GGUFSmokeTests: XCTestCase {
    func testModuleLinks() {}
}
