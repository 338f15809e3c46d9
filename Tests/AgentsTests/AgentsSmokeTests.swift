import XCTest
import Agents

final class AgentsSmokeTests: XCTestCase {
    func testModuleLinks() {}
}
