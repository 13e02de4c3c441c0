import Foundation
import Tensor
import Testing

@Suite struct DecodingErrorSummaryTests {
    struct Shape: Decodable {
        struct Item: Decodable { var vpos: Int }
        var items: [Item]
    }

    static func summary(_ text: String) -> String {
        let data = Data(text.utf8)
        do {
            _ = try JSONDecoder().decode(Shape.self, from: data)
            return "decoded"
        } catch let error as DecodingError {
            return error.summary(of: data)
        } catch {
            return "\(error)"
        }
    }

    @Test("text that is not JSON says where the parser stopped; JSON of the wrong shape says where in it")
    func oneLine() {
        #expect(Self.summary(#"{"items": [{"vpos": 1},, ]}"#) == "not JSON: Invalid value around character 23.")
        #expect(Self.summary(#"{"items": [{"vpos": 1}"#) == "not JSON: Unexpected end of file during JSON parse.")
        #expect(Self.summary(#"{"items": [{"vpos": 1}, {}]}"#) == #"at .items[1]: missing key "vpos""#)
        #expect(Self.summary(#"{"items": [{"vpos": "x"}]}"#).hasPrefix("at .items[0].vpos: "))
        #expect(Self.summary(#"{"items": []}"#) == "decoded")
    }
}
