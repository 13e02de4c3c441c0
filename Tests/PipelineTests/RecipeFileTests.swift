import Pipeline
import TestSupport
import Testing

@Suite("Recipe files")
struct RecipeFileTests {
    @Test("Pipelines/*.yaml parse and equal the built-in recipes", arguments: Recipe.builtInNames)
    func filesEqualBuiltIns(name: String) throws {
        let file = try Recipe.load(path: Project.root + "/Pipelines/\(name).yaml")
        #expect(file == Recipe.builtIn(named: name))
        #expect(try Recipe.resolve(Project.root + "/Pipelines/\(name).yaml") == file)
    }

    @Test("show-and-tell takes one vector per frame; the default attends over conv5_3")
    func builtIns() {
        #expect(Recipe.showAndTell.model.kind == .showAndTell)
        #expect(Recipe.showAndTell.features.layer == .pool5mean)
        #expect(Recipe.showAttendTell == Recipe())
    }

    @Test("overrides apply in order; unknown names, keys and bad values are errors naming them")
    func overrides() throws {
        let recipe = try Recipe.resolve("show-and-tell", overrides: ["training.epochs=3", "video.fps=1", "training.epochs=4"])
        #expect(recipe.training.epochs == 4 && recipe.video.fps == 1 && recipe.model.kind == .showAndTell)
        #expect(throws: RecipeError.unknownRecipe(name: "nope", known: Recipe.builtInNames)) { try Recipe.resolve("nope") }
        #expect(throws: RecipeError.unknownKey(path: "--set training.epoch=3", key: "training.epoch")) {
            try Recipe.resolve(nil, overrides: ["training.epoch=3"])
        }
        #expect(throws: RecipeError.self) { try Recipe.resolve(nil, overrides: ["training.epochs"]) }
        #expect(throws: RecipeError.self) { try Recipe.resolve(nil, overrides: ["training.epochs=many"]) }
    }
}
