// The built-in recipes and how a command line names one: a name (`show-and-tell`) or a file.
import Foundation

extension Recipe {
    /// The recipes danmaku knows by name; `Pipelines/NAME.yaml` holds the same settings.
    public static let builtInNames = ["show-attend-tell", "show-and-tell"]

    /// Show, Attend and Tell on conv5_3 annotation maps: the default.
    public static var showAttendTell: Recipe { Recipe() }

    /// Show and Tell on one global vector per frame: pool5mean, since the default weights
    /// have no fc layers (use `--set features.layer=relu7` with weights that do).
    public static var showAndTell: Recipe {
        var recipe = Recipe()
        recipe.name = "show-and-tell"
        recipe.model.kind = .showAndTell
        recipe.features.layer = .pool5mean
        return recipe
    }

    /// The built-in recipe called `name`, or nil.
    public static func builtIn(named name: String) -> Recipe? {
        switch name {
        case "show-attend-tell": showAttendTell
        case "show-and-tell": showAndTell
        default: nil
        }
    }

    /// Resolves `--pipeline`: a built-in name, else a YAML file; then every `key=value`
    /// override in order.
    ///
    /// - Throws: `RecipeError` naming the file or the key.
    public static func resolve(_ pipeline: String?, overrides: [String] = []) throws -> Recipe {
        var recipe: Recipe
        if let pipeline {
            if let builtIn = builtIn(named: pipeline) {
                recipe = builtIn
            } else if pipeline.contains("/") || pipeline.hasSuffix(".yaml") || pipeline.hasSuffix(".yml")
                        || FileManager.default.fileExists(atPath: pipeline) {
                recipe = try load(path: pipeline)
            } else {
                throw RecipeError.unknownRecipe(name: pipeline, known: builtInNames)
            }
        } else {
            recipe = showAttendTell
        }
        try recipe.apply(overrides)
        return recipe
    }

    /// Applies `key=value` overrides in order.
    public mutating func apply(_ overrides: [String]) throws {
        for override in overrides {
            guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
                throw RecipeError.badValue(path: "--set \(override)", key: override, reason: "expected key=value")
            }
            try set(String(override[..<equals]), to: String(override[override.index(after: equals)...]))
        }
    }
}
