import XCTest
import Spice
import TestSupport

/// Builds decks element by element for the engine tests (no parser needed).
struct DeckBuilder {
    var deck = Deck(title: "test")
    private var line = 1

    mutating func add(_ name: String, _ nodes: [String], _ kind: Element.Kind) {
        deck.elements.append(Element(name: name, nodes: nodes, kind: kind,
                                     location: SourceLocation(file: "test.cir", line: line)))
        line += 1
    }

    mutating func model(_ name: String, _ type: String, _ parameters: [String: Double]) {
        deck.models[name] = ModelCard(name: name, type: type, parameters: parameters,
                                      location: SourceLocation(file: "test.cir", line: 100))
    }

    mutating func r(_ name: String, _ a: String, _ b: String, _ value: Double) { add(name, [a, b], .resistor(resistance: value)) }
    mutating func c(_ name: String, _ a: String, _ b: String, _ value: Double) {
        add(name, [a, b], .capacitor(capacitance: value, initialVoltage: nil))
    }
    mutating func l(_ name: String, _ a: String, _ b: String, _ value: Double) {
        add(name, [a, b], .inductor(inductance: value, initialCurrent: nil))
    }
    mutating func v(_ name: String, _ a: String, _ b: String, _ dc: Double, ac: Double = 0, phase: Double = 0) {
        add(name, [a, b], .voltageSource(Source(dc: dc, acMagnitude: ac, acPhase: phase)))
    }
    mutating func i(_ name: String, _ a: String, _ b: String, _ dc: Double, ac: Double = 0) {
        add(name, [a, b], .currentSource(Source(dc: dc, acMagnitude: ac)))
    }
}

func value(_ plot: Plot, _ name: String, _ index: Int = 0, file: StaticString = #filePath, line: UInt = #line) -> Double {
    guard let vector = plot.vector(named: name) else {
        XCTFail("\(plot.name): no vector \(name) (have \(plot.vectors.map(\.name)))", file: file, line: line)
        return .nan
    }
    switch vector.values {
    case .real(let v): return index < v.count ? v[index] : .nan
    case .complex(let re, _): return index < re.count ? re[index] : .nan
    }
}

func complexValue(_ plot: Plot, _ name: String, _ index: Int, file: StaticString = #filePath, line: UInt = #line) -> (re: Double, im: Double) {
    guard let vector = plot.vector(named: name), case .complex(let re, let im) = vector.values, index < re.count else {
        XCTFail("\(plot.name): no complex vector \(name)", file: file, line: line)
        return (.nan, .nan)
    }
    return (re[index], im[index])
}

func assertClose(_ actual: Double, _ expected: Double, relative: Double = 1e-6, absolute: Double = 1e-12,
                 _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(isClose(actual, expected, relative: relative, absolute: absolute),
                  "\(what): got \(actual), expected \(expected)", file: file, line: line)
}

/// `value(plot, name, index)` under a name that does not clash with local variables called `value`.
func point(_ plot: Plot, _ name: String, _ index: Int) -> Double { value(plot, name, index) }
