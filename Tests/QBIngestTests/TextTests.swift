import Foundation
import QBIngest
import QBTestSupport
import Testing

@Suite("CSV, JSON Lines and labeled text")
struct TextTests {
    struct BadCSV: Decodable, Sendable, CustomTestStringConvertible {
        var file: String
        var bad_line: Int
        var testDescription: String { file }
        static let all: [BadCSV] = (try? loadJSONFixture("text/bad_csv.json")) ?? []
    }

    struct Row: Decodable {
        var text: String
        var label: String
    }

    @Test("the broken-CSV fixture list loads and is not empty (the parameterized test below cannot run zero cases)")
    func badCSVListLoads() throws {
        let all: [BadCSV] = try loadJSONFixture("text/bad_csv.json")
        #expect(!all.isEmpty && all.count == BadCSV.all.count)
    }

    @Test("the Fine Foods CSV records equal their JSON Lines twin", arguments: ["small", "multiline"])
    func csvEqualsJSONL(_ name: String) throws {
        let csv = try TextDataset.labeled(Fixtures.path("text/\(name).csv"), textColumn: "review", labelColumn: "score")
        let jsonl = try TextDataset.labeled(Fixtures.path("text/\(name).jsonl"))
        let expected: [Row] = try loadJSONLinesFixture("text/\(name).jsonl")
        #expect(csv.samples.count == 10)
        #expect(csv.samples.map(\.text) == expected.map(\.text))
        #expect(csv.samples.map { csv.classes[$0.label] } == expected.map(\.label))
        #expect(jsonl.samples.map(\.text) == csv.samples.map(\.text))
    }

    @Test("multi-line records report the line they start on")
    func recordLines() throws {
        let rows = try CSVReader(file: "x.csv").parse(Array("a,b\n1,\"x\ny\"\r\n2,z\n".utf8))
        #expect(rows.header == ["a", "b"])
        #expect(rows.records.map(\.line) == [2, 4])
        #expect(rows.records[0].fields == ["1", "x\ny"])
    }

    @Test(
        "RFC 4180 details",
        arguments: [
            ("a,b\n\"he said \"\"hi\"\"\",2\n", [["he said \"hi\"", "2"]]),
            ("a,b\n,\n", [["", ""]]),
            ("a,b\r\n1,2\r\n", [["1", "2"]]),
            ("\u{FEFF}a,b\n1,2", [["1", "2"]]),
            ("a,b\n\"1,5\",\"\"\n", [["1,5", ""]]),
        ])
    func rfc4180(_ c: (String, [[String]])) throws {
        #expect(try CSVReader(file: "x.csv").parse(Array(c.0.utf8)).records.map(\.fields) == c.1)
    }

    @Test("malformed CSV names the bad line", arguments: BadCSV.all)
    func badCSV(_ bad: BadCSV) throws {
        let path = Fixtures.path("text/" + bad.file)
        do {
            _ = try TextDataset.labeled(
                path, textColumn: "review", labelColumn: "score", declaredClasses: ["great", "other"])
            Issue.record("\(bad.file) was accepted")
        } catch let e as IngestError {
            #expect(e.file == path)
            #expect(e.line == bad.bad_line, "\(e)")
            #expect(e.kind == (bad.file.hasPrefix("unknown_label") ? .unknownLabel : .badCSV))
        }
    }

    @Test("a missing column, invalid UTF-8 and malformed JSON Lines")
    func otherErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("a.csv").path
        try Data("text,lbl\nhello,x\n".utf8).write(to: URL(fileURLWithPath: csv))
        #expect(
            throws: IngestError(.badCSV, file: csv, line: 1, "no column \"label\" in the header (columns: text, lbl)")
        ) {
            try TextDataset.labeled(csv)
        }
        let latin1 = dir.appendingPathComponent("b.csv").path
        try Data([0x74, 0x2C, 0x6C, 0x0A, 0x63, 0x61, 0x66, 0xE9, 0x2C, 0x78, 0x0A]).write(
            to: URL(fileURLWithPath: latin1))
        do {
            _ = try TextDataset.labeled(latin1, textColumn: "t", labelColumn: "l")
            Issue.record("invalid UTF-8 accepted")
        } catch let e as IngestError {
            #expect(e.line == 2 && e.reason.contains("UTF-8"))
        }
        let jsonl = dir.appendingPathComponent("c.jsonl").path
        try Data("{\"text\":\"a\",\"label\":\"x\"}\n\n{\"text\":\"b\",\"label\":\n".utf8).write(
            to: URL(fileURLWithPath: jsonl))
        do {
            _ = try TextDataset.labeled(jsonl)
            Issue.record("broken JSON accepted")
        } catch let e as IngestError {
            #expect(e.kind == .badJSON && e.line == 3 && e.file == jsonl)
        }
    }

    @Test("corpora must be UTF-8; the line of the bad byte is named")
    func corpus() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.txt").path
        try Data(Array("one\ntwo\nthr".utf8) + [0xFF] + Array("ee\n".utf8)).write(to: URL(fileURLWithPath: bad))
        #expect(throws: IngestError(.corrupt, file: bad, line: 3, "not valid UTF-8 text (bad byte at offset 11)")) {
            try TextCorpus(files: [bad])
        }
        let persuasion = try TextCorpus(files: [Fixtures.dataset("austen/austen_persuasion.txt")])
        // The byte tokenizer's tokens are the text's UTF-8 bytes, in order; the corpus is the novel from its title on.
        #expect(ByteTokenizer().encode(persuasion.text).map { Int($0) } == persuasion.text.utf8.map { Int($0) })
        #expect(persuasion.text.hasPrefix("Persuasion\n"))
        #expect(persuasion.text.contains("Sir Walter Elliot, of Kellynch Hall, in Somersetshire"))
    }
}

@Suite("WordPiece equals Hugging Face BertTokenizer")
struct WordPieceTests {
    struct Expected: Decodable {
        var row: Int
        var ids: [Int32]
        var full_length: Int
    }
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var ids: [Int32]
        var tokens: [String]
        var testDescription: String { name }
        static let all: [Case] = (try? loadJSONLinesFixture("text/wordpiece_cases.jsonl")) ?? []
    }

    static let tokenizer = try? WordPieceTokenizer(vocabularyFile: Fixtures.dataset("vocab/minilm-vocab.txt"))

    @Test("the WordPiece case list loads and is not empty (the parameterized test cannot run zero cases)")
    func caseListLoads() throws {
        let all: [Case] = try loadJSONLinesFixture("text/wordpiece_cases.jsonl")
        #expect(!all.isEmpty && all.count == Case.all.count)
    }

    @Test("all 1,000 Fine Foods test reviews, truncated to 128 and in full")
    func fineFoods() throws {
        let tokenizer = try #require(Self.tokenizer)
        let set = try TextDataset.labeled(
            Fixtures.dataset("fine-foods/test.csv"), textColumn: "review", labelColumn: "score",
            declaredClasses: ["great", "other"])
        let expected: [Expected] = try loadJSONLinesFixture("text/wordpiece_fine_foods_test.jsonl")
        #expect(set.samples.count == 1000 && expected.count == 1000)
        var mismatches = 0
        for (sample, e) in zip(set.samples, expected) {
            let ids = tokenizer.encode(sample.text, maxLength: 128)
            let full = tokenizer.encode(sample.text).count
            if ids != e.ids || full != e.full_length {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("row \(e.row): got \(ids.prefix(20))..., expected \(e.ids.prefix(20))...")
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("tricky strings", arguments: Case.all)
    func cases(_ c: Case) throws {
        let tokenizer = try #require(Self.tokenizer)
        let ids = tokenizer.encode(c.text)
        #expect(ids == c.ids, "\(ids.map { tokenizer.vocabulary[Int($0)] }) vs \(c.tokens)")
    }

    @Test("a vocabulary without the special tokens is refused")
    func badVocabulary() {
        #expect(throws: IngestError.self) { try WordPieceTokenizer(vocabulary: ["a", "b"]) }
    }

    @Test("the byte tokenizer round-trips")
    func bytes() {
        let t = ByteTokenizer()
        #expect(t.encode("Ah, é!") == [65, 104, 44, 32, 195, 169, 33])
        #expect(t.decode(t.encode("Persuasion — ch. 1")) == "Persuasion — ch. 1")
    }
}
