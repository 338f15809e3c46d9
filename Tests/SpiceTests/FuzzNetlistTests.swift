import XCTest
import Spice

/// Seeded mutation fuzzing of the netlist front end: every input must give a Deck or a NetlistError.
final class FuzzNetlistTests: XCTestCase {
    /// SplitMix64: small, seedable, the same sequence on every platform.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    }

    static let seedDecks: [String] = [
        """
        two stage
        .param wn=4 ln=1 cc=0.5p
        .options scale=1e-6 reltol=1e-4
        .model nch nmos (level=1 vto=0.7 kp=100u lambda=0.02)
        .model pch pmos level=1 vto=-0.7 kp=40u
        .subckt amp inp inn vdd vss out w=2 l=1
        m1 x inn tail vss nch w={w} l={l} ad='w*0.29' pd='2*(w+0.29)'
        m2 y inp tail vss nch w={w} l={l}
        m3 x x vdd vdd pch w=4 l=1
        m4 y x vdd vdd pch w=4 l=1
        m6 out y vdd vdd pch w={4*w} l=0.5 m=2
        cc y mid {cc}
        rz mid out 16.3k
        ib tail vss 10u
        .ends amp
        x1 inp inn vdd 0 out amp w=wn l=ln
        vdd vdd 0 1.8
        vinp inp 0 dc 0.9 ac 0.5
        vinn inn 0 dc 0.9 ac -0.5 sin(0.9 1m 1k)
        cl out 0 2p
        .ac dec 100 1 1g
        .tran 0.1n 2u
        .op
        .end
        """,
        """
        sources and cards
        v1 a 0 pulse(0 1.8 1u 1n 1n 1u 2u)
        v2 b 0 pwl(0 0 1n 1 2n 0) r=0 td=1n
        i1 c 0 exp(0 1m 1n 1n 2n 1n)
        e1 d 0 a b 10
        g1 d 0 a b 1m
        vs e 0 0
        f1 d 0 vs 2
        h1 f 0 vs 1k
        r1 a b 1k ; comment
        c1 b 0 1p ic=0.1
        l1 c 0 1u $ comment
        + ic=1m
        .model dm d is=1e-14
        d1 a 0 dm 2 off
        .ic v(a)=0.1
        .nodeset v(b)=0.2
        .dc v1 0 1.8 0.1 vs 0 1 0.5
        .noise v(d, 0) v1 dec 10 1 1meg 1
        .meas tran t1 trig v(a) val=0.9 rise=1
        .save v(a) i(vs)
        .temp 50
        .control
        run
        .endc
        .end
        """,
        """
        params
        .param a=2 b='a*3' c={b**2 > 10 ? min(a,b) : max(a,b)} d = sqrt(abs(-16)) + int(-2.7) + log10(100)
        .subckt inner p q rv=1k
        .param half='rv/2'
        r5 p mid {half}
        r6 mid q 'rv + a'
        .subckt deepest x
        r7 x 0 1
        .ends
        x9 mid deepest
        .ends
        .subckt outer in out k=1
        x2 in out inner rv={k*2k}
        .ends
        x1 1 0 outer k=3
        x2 2 0 outer params: k=4
        .global vdd
        """,
    ]

    /// Seed decks: the ones above plus every `*.cir` under the golden folder, when present.
    func seeds() -> [String] {
        var out = Self.seedDecks
        if let url = Bundle.module.url(forResource: "Goldens", withExtension: nil),
           let walker = FileManager.default.enumerator(atPath: url.path) {
            for case let path as String in walker where path.hasSuffix(".cir") {
                if let text = try? String(contentsOfFile: url.path + "/" + path, encoding: .utf8) { out.append(text) }
            }
        }
        return out
    }

    static let fragments = ["(", ")", "{", "}", "'", "\"", "=", "+", "*", ".", ",", ";", "$ ", "\n", "\n+", " ",
                            "1e308", "-1e308", "1e-308", "9999999999999999999999", "0", "-0", "nan", "inf", "1/0",
                            ".subckt", ".ends", ".param", ".lib", ".endl", ".include x", "x1", "params:", "m=",
                            "w=", "pulse(", "pwl(", "dec", "?", ":", "**", "^", "&&", "||", "!", "gnd", "meg", "mil"]

    func mutate(_ text: String, _ g: inout Generator) -> String {
        var bytes = Array(text.utf8)
        let rounds = 1 + g.below(4)
        for _ in 0..<rounds {
            switch g.below(10) {
            case 0 where !bytes.isEmpty:  // byte flip
                bytes[g.below(bytes.count)] ^= UInt8(1 << g.below(8))
            case 1 where !bytes.isEmpty:  // random byte
                bytes[g.below(bytes.count)] = UInt8(truncatingIfNeeded: g.next())
            case 2:  // truncate
                bytes = Array(bytes.prefix(g.below(bytes.count + 1)))
            case 3:  // insert a fragment
                let f = Array(Self.fragments[g.below(Self.fragments.count)].utf8)
                bytes.insert(contentsOf: f, at: g.below(bytes.count + 1))
            case 4, 5:  // delete or duplicate a token
                var tokens = String(decoding: bytes, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
                guard !tokens.isEmpty else { break }
                let k = g.below(tokens.count)
                if g.below(2) == 0 { tokens.remove(at: k) } else { tokens.insert(tokens[k], at: k) }
                bytes = Array(tokens.joined(separator: " ").utf8)
            case 6:  // swap, delete or duplicate lines
                var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                guard lines.count > 1 else { break }
                let a = g.below(lines.count), b = g.below(lines.count)
                switch g.below(3) {
                case 0: lines.swapAt(a, b)
                case 1: lines.remove(at: a)
                default: lines.insert(lines[a], at: b)
                }
                bytes = Array(lines.joined(separator: "\n").utf8)
            case 7:  // random suffix
                let n = 1 + g.below(12)
                for _ in 0..<n { bytes.append(UInt8(32 + g.below(95))) }
            case 8:  // huge or odd number in place of a digit
                if let k = bytes.indices.filter({ bytes[$0] >= 48 && bytes[$0] <= 57 }).randomElement(using: &g) {
                    let huge = ["1e308", "1e400", "-1e-400", "123456789012345678901234567890", "0.0", "1meg1meg"]
                    bytes.replaceSubrange(k...k, with: Array(huge[g.below(huge.count)].utf8))
                }
            default:  // deep nesting of parentheses or braces
                let depth = 1 + g.below(2000)
                let close = g.below(3) == 0 ? depth / 2 : depth
                let nested = Array(" {".utf8) + [UInt8](repeating: UInt8(ascii: "("), count: depth) + [UInt8(ascii: "1")]
                    + [UInt8](repeating: UInt8(ascii: ")"), count: close) + [UInt8(ascii: "}")]
                bytes.insert(contentsOf: nested, at: g.below(bytes.count + 1))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func testMutatedDecksNeverCrash() throws {
        let seeds = seeds()
        let empty = try temporaryDirectory()
        for s in seeds { _ = try Deck.parse(s, directory: empty) }  // the seeds themselves are valid
        var g = Generator(state: 0x5EED_1234)
        let maximumCases = 100_000
        let start = Date()
        var cases = 0, accepted = 0, rejected = 0
        var messages: Set<String> = []
        while cases < maximumCases && Date().timeIntervalSince(start) < 60 {
            let text = mutate(seeds[g.below(seeds.count)], &g)
            cases += 1
            do {
                let deck = try Deck.parse(text, file: "fuzz.cir", directory: empty)
                for m in deck.models.values { _ = m.level }  // the accessors must not trap either
                accepted += 1
            } catch let e as NetlistError {
                rejected += 1
                if messages.count < 100_000 { messages.insert(e.message) }
                XCTAssertFalse(e.message.isEmpty)
            } catch {
                XCTFail("case \(cases): non-netlist error \(error)")
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print("netlist fuzz: \(cases) cases in \(String(format: "%.1f", seconds)) s, \(accepted) parsed, \(rejected) rejected, \(messages.count) distinct messages")
        XCTAssertGreaterThanOrEqual(cases, 1000)
    }
}

extension FuzzNetlistTests.Generator: RandomNumberGenerator {}
