import XCTest
import Infer

final class InferSmokeTests: XCTestCase {
    func testModuleLinks() {}
}
