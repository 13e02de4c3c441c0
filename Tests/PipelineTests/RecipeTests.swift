import Pipeline
import TestSupport
import Testing

@Suite("Recipes")
struct RecipeTests {
    @Test("an empty file gives the defaults: the article's sizes, a stopping rule in steps, decoding that looks from the first word")
    func defaults() throws {
        let recipe = try Recipe.parse("", path: "empty.yaml")
        #expect(recipe == Recipe())
        #expect(recipe.model.kind == .showAttendTell)
        #expect(recipe.features.layer == .conv5_3)
        #expect(recipe.video.fps == 2)
        #expect((recipe.model.embedding, recipe.model.hidden, recipe.model.attention) == (256, 256, 256))
        #expect(recipe.training.batchSize == 256)
        #expect(recipe.vocabulary.maxSize == 30_000)
        #expect(recipe.training.epochs == 0 && recipe.training.minSteps > 0 && recipe.training.patienceSteps > 0)
        #expect(recipe.decoding.strategy == .sample)
    }

    @Test("keys in the file override the defaults, the rest stay")
    func partialOverride() throws {
        let recipe = try Recipe.parse("""
            model:
              kind: show_and_tell
            features:
              layer: pool5mean
            training: {epochs: 3, learning_rate: 0.002}
            """, path: "r.yaml")
        #expect(recipe.model.kind == .showAndTell)
        #expect(recipe.features.layer == .pool5mean)
        #expect(recipe.training.epochs == 3)
        #expect(recipe.training.learningRate == 0.002)
        #expect(recipe.training.batchSize == 256)
    }

    @Test("YAML written and read back gives the same recipe")
    func roundTrip() throws {
        var recipe = Recipe()
        recipe.video.fps = 1.5
        recipe.decoding.strategy = .beam
        #expect(try Recipe.parse(recipe.yaml(), path: "x.yaml") == recipe)
    }

    @Test("the stage modules' enums are written with the recipe's YAML names, as before")
    func enumNamesOnDisk() throws {
        var recipe = Recipe()
        recipe.model.kind = .showAndTell
        recipe.features.layer = .pool5mean
        recipe.comments.tokenizer = .char
        recipe.video.scaleMode = .crop
        let yaml = try recipe.yaml()
        for line in ["kind: show_and_tell", "layer: pool5mean", "tokenizer: char", "scale_mode: crop"] {
            #expect(yaml.contains(line), "\(line) not in:\n\(yaml)")
        }
        #expect(try Recipe.parse(yaml, path: "x.yaml") == recipe)
        #expect { try Recipe.parse("comments: {tokenizer: jieba}\n", path: "r.yaml") } throws: { error in
            guard case let .badValue(_, key, reason) = error as? RecipeError else { return false }
            return key == "comments.tokenizer" && reason.contains("mecab, char")
        }
    }

    @Test("an unknown key is an error naming the key")
    func unknownKey() {
        #expect(throws: RecipeError.unknownKey(path: "r.yaml", key: "training.epoch")) {
            try Recipe.parse("training:\n  epoch: 3\n", path: "r.yaml")
        }
        #expect(throws: RecipeError.unknownKey(path: "r.yaml", key: "colour")) {
            try Recipe.parse("colour: red\n", path: "r.yaml")
        }
    }

    @Test("a bad value is an error naming the key")
    func badValues() {
        #expect { try Recipe.parse("video:\n  fps: fast\n", path: "r.yaml") } throws: { error in
            guard case let .badValue(path, key, _) = error as? RecipeError else { return false }
            return path == "r.yaml" && key == "video.fps"
        }
        #expect { try Recipe.parse("model:\n  kind: transformer\n", path: "r.yaml") } throws: { error in
            guard case let .badValue(_, key, _) = error as? RecipeError else { return false }
            return key == "model.kind"
        }
        #expect(throws: RecipeError.badValue(path: "r.yaml", key: "video.image_size", reason: "must be 224 or 448, got 300")) {
            try Recipe.parse("video: {image_size: 300}\n", path: "r.yaml")
        }
        #expect(throws: RecipeError.badValue(path: "r.yaml", key: "training.context_swap", reason: "must be in [0, 1]")) {
            try Recipe.parse("training: {context_swap: 1.5}\n", path: "r.yaml")
        }
        #expect { try Recipe.parse("video: [1, 2]\n", path: "r.yaml") } throws: { error in
            guard case let .badValue(_, key, _) = error as? RecipeError else { return false }
            return key == "video"
        }
        #expect { try Recipe.parse("a: [unclosed\n", path: "r.yaml") } throws: { error in
            guard case .invalidYAML("r.yaml", _) = error as? RecipeError else { return false }
            return true
        }
    }

    @Test("attention needs annotation maps")
    func attentionNeedsMaps() {
        #expect { try Recipe.parse("features: {layer: relu7}\n", path: "r.yaml") } throws: { error in
            guard case let .badValue(_, key, _) = error as? RecipeError else { return false }
            return key == "features.layer"
        }
    }

    @Test("dotted overrides set one key and are checked like the file")
    func overrides() throws {
        var recipe = Recipe()
        try recipe.set("training.epochs", to: "7")
        try recipe.set("decoding.strategy", to: "article")
        #expect(recipe.training.epochs == 7)
        #expect(recipe.decoding.strategy == .article)
        #expect(throws: RecipeError.unknownKey(path: "--set training.epochz=1", key: "training.epochz")) {
            try recipe.set("training.epochz", to: "1")
        }
        #expect(throws: RecipeError.unknownKey(path: "--set training=1", key: "training")) {
            try recipe.set("training", to: "1")
        }
        #expect { try recipe.set("training.epochs", to: "-1") } throws: { error in
            guard case let .badValue(_, key, _) = error as? RecipeError else { return false }
            return key == "training.epochs"
        }
        #expect(recipe.training.epochs == 7, "a failed override changes nothing")
    }
}
