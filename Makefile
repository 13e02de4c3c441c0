# danmaku: set-up, build, test, demo and benchmarks. `make demo` and `make test` are the two
# set-up commands of the README; both install what is missing first.

SWIFT      ?= swift
CONFIG     ?= release
BUILD_FLAGS = -c $(CONFIG)
# Tests may use @testable imports, which an optimised build allows only with this flag.
TEST_FLAGS  = -Xswiftc -enable-testing
CASES      ?=

# Every Debian package the build, the tests and the demo need.
DEBIAN_PACKAGES = \
	pkg-config python3 python3-pip ca-certificates \
	libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg \
	libmecab-dev mecab-ipadic-utf8 \
	libfreetype-dev fonts-dejavu-core \
	libopenblas-dev \
	libhdf5-dev

# Only the HTML player's test needs a browser: `make test` installs it, `make deps` does not.
TEST_PACKAGES = chromium

.PHONY: all deps test-deps weights build test demo bench clean

all: build

deps:
	@scripts/install-deps.sh $(DEBIAN_PACKAGES)

test-deps: deps
	@scripts/install-deps.sh $(TEST_PACKAGES)

weights:
	@scripts/fetch-weights.sh

build:
	$(SWIFT) build $(BUILD_FLAGS)

# Tests run on the optimised build: the numeric tests are too slow unoptimised.
test: test-deps weights
	$(SWIFT) build $(BUILD_FLAGS) $(TEST_FLAGS) --build-tests
	DANMAKU_BIN="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/danmaku" \
		$(SWIFT) test $(BUILD_FLAGS) $(TEST_FLAGS) --skip-build

# The demo: learn from the sample episode, comment the other clip. The default recipe with
# sampled decoding (the article's first-word-from-the-histogram recipe ignores the picture for
# the first word, which is the scene word in the samples); early stopping ends training.
DEMO_TRAIN_FLAGS ?= --epochs 100 --set decoding.strategy=sample
demo: deps weights build
	@mkdir -p out
	@start=$$(date +%s); bin="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/danmaku"; \
	"$$bin" train Samples/episode.mp4 Samples/episode.xml -o out/sample.danmaku $(DEMO_TRAIN_FLAGS) && \
	"$$bin" render Samples/other.mp4 -m out/sample.danmaku -o out/other.danmaku.mp4 && \
	echo "demo: done in $$(( $$(date +%s) - start )) s" && \
	echo "demo: model bundle    out/sample.danmaku (training report: out/sample.danmaku/report.html)" && \
	echo "demo: commented video out/other.danmaku.mp4" && \
	echo "demo: its comments    out/other.danmaku.xml"

bench:
	$(SWIFT) build -c release --product danmaku-bench
	"$$($(SWIFT) build -c release --show-bin-path)/danmaku-bench" $(CASES)

clean:
	rm -rf .build out
