// The names a recipe's YAML gives the stage modules' own enums, in one place. The recipe
// stores `Media.ScaleMode`, `FeatureLayer`, `TokenizerKind`, `CaptionerKind` and
// `DecodingStrategy.Name` themselves;
// only their spelling on disk is decided here, so recipe.yaml files keep their format.
import Captioner
import Comments
import Features
import Media

/// An enum a recipe stores by name.
public protocol RecipeNamed: CaseIterable, Equatable, Sendable {
    /// The value's name in recipe YAML (`show_attend_tell`, `conv5_3`, `mecab`, `stretch`).
    var recipeName: String { get }
}

extension RecipeNamed {
    /// The value whose recipe name is `name`, or nil.
    public init?(recipeName name: String) {
        guard let value = Self.allCases.first(where: { $0.recipeName == name }) else { return nil }
        self = value
    }
}

extension ScaleMode: RecipeNamed {
    public var recipeName: String { rawValue }
}

extension FeatureLayer: RecipeNamed {
    public var recipeName: String { rawValue }
}

extension TokenizerKind: RecipeNamed {
    public var recipeName: String { rawValue }
}

extension DecodingStrategy.Name: RecipeNamed {
    public var recipeName: String { rawValue }
}

/// snake_case on disk; `CaptionerKind`'s own Codable form (its raw value, in the bundle's
/// model config) is another format and stays as it is.
extension CaptionerKind: RecipeNamed {
    public var recipeName: String {
        switch self {
        case .showAttendTell: "show_attend_tell"
        case .showAndTell: "show_and_tell"
        }
    }
}

/// Codes a recipe field as its value's recipe name (a YAML string).
@propertyWrapper
public struct RecipeName<Value: RecipeNamed>: Codable, Equatable, Sendable {
    public var wrappedValue: Value

    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Swift.Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let value = Value(recipeName: name) else {
            let known = Value.allCases.map(\.recipeName).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown value '\(name)' (known: \(known))")
        }
        wrappedValue = value
    }

    public func encode(to encoder: any Swift.Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.recipeName)
    }
}
