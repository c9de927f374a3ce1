# pgmig — see README.md. Every target works on a fresh clone.
GO       ?= go
BIN      := bin/pgmig
PKGS     := ./...
TESTFLAGS ?= -count=1 -timeout 20m

.PHONY: all build test demo lint fuzz bench bench-large test-matrix clean

all: lint test build

build: ## build bin/pgmig
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/pgmig

test: ## run every test against a real PostgreSQL (PGMIG_TEST_DATABASE_URL or a throwaway cluster)
	$(GO) test $(TESTFLAGS) $(PKGS)

demo: build ## createdb + apply testdata/example against the configured or a throwaway PostgreSQL
	./testdata/demo.sh

lint: ## go vet and gofmt
	$(GO) vet $(PKGS) ./.ci/bench
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

FUZZTIME ?= 30s
fuzz: ## run each fuzz target for FUZZTIME
	$(GO) test ./migrator -run '^$$' -fuzz '^FuzzParseFileName$$' -fuzztime $(FUZZTIME)
	$(GO) test ./migrator -run '^$$' -fuzz '^FuzzParseHeaders$$' -fuzztime $(FUZZTIME)
	$(GO) test ./migrator/internal/sqlscan -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(FUZZTIME)
	$(GO) test ./migrator/lint -run '^$$' -fuzz '^FuzzParseIgnores$$' -fuzztime $(FUZZTIME)
	$(GO) test ./migrator/lint -run '^$$' -fuzz '^FuzzLint$$' -fuzztime $(FUZZTIME)
	$(GO) test ./migrator/adopt -run '^$$' -fuzz '^FuzzParseMap$$' -fuzztime $(FUZZTIME)
	$(GO) test ./migrator/drift -run '^$$' -fuzz '^FuzzParseSQL$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cmd/pgmig/internal/headstart -run '^$$' -fuzz '^FuzzGuessTarget$$' -fuzztime $(FUZZTIME)

test-matrix: ## the whole suite on PostgreSQL 12 to 18 (PG_MAJORS="12 18" for some), server binaries from npm
	./.ci/test-matrix

ROUNDS ?= 5
bench: ## pgmig against psql on a throwaway PostgreSQL with default durability, and the Go benchmarks
	$(GO) test ./migrator ./migrator/internal/sqlscan ./migrator/adopt ./migrator/drift ./migrator/lint -run '^$$' -bench . -benchmem
	$(GO) test ./cmd/pgmig -run '^$$' -bench '^Benchmark(LintBinary|BinaryStart)$$' -benchtime 10x
	$(GO) run ./.ci/bench -rounds $(ROUNDS)

bench-large: ## time apply of a 100 MB file and of 10,000 files (PGMIG_TEST_DATABASE_URL or a throwaway cluster), with the checks of the bad-input catalogue
	$(GO) test ./cmd/pgmig -count=1 -timeout 30m -run '^$$' -bench '^BenchmarkLargeInput$$' -benchtime 1x

clean:
	rm -rf bin
