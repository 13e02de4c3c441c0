// One line for a JSON decoding error, for the error messages that name a file.
import Foundation

extension DecodingError {
    /// Where the decoder was (`at .threads[0].vposMs: `, nothing at the top) and what was
    /// wrong there. For `data` that is not JSON at all, the parser's own reason and position
    /// (`JSONDecoder` on Linux says only that the data is not valid JSON).
    public func summary(of data: Data) -> String {
        func place(_ context: Context) -> String {
            let key = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return key.isEmpty ? "" : "at \(key): "
        }
        switch self {
        case .dataCorrupted(let context):
            if let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String {
                return place(context) + underlying
            }
            if context.codingPath.isEmpty, let syntax = Self.syntaxError(in: data) { return "not JSON: " + syntax }
            return place(context) + context.debugDescription
        case .keyNotFound(let key, let context): return place(context) + "missing key \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return place(context) + context.debugDescription
        @unknown default: return String(describing: self)
        }
    }

    /// The parser's description of why `data` is not JSON; nil when it is.
    private static func syntaxError(in data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
            return nil
        } catch {
            return (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
        }
    }
}

/// JSON files read whole, for the callers that name the file in their own error.
public enum JSONFile {
    /// Why a file did not decode, in one line.
    public struct Failure: Error {
        public var reason: String
    }

    /// `T` decoded from the file at `path`.
    ///
    /// - Throws: `Failure` with the system's reason for a file that cannot be read, else
    ///   `DecodingError.summary(of:)`.
    public static func decode<T: Decodable>(_ type: T.Type, path: String) throws(Failure) -> T {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw Failure(reason: error.localizedDescription) }
        do { return try JSONDecoder().decode(type, from: data) } catch let error as DecodingError {
            throw Failure(reason: error.summary(of: data))
        } catch {
            throw Failure(reason: error.localizedDescription)
        }
    }
}
