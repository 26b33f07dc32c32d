# Makefile of cicdgen. `make test` is what CI runs (.ci/run).

GO ?= go
BIN ?= bin/cicdgen

.PHONY: all build test bench bench-process bench-cdk fuzz lint guard docs cfn-lint dist

all: lint test build

## build: compile the cicdgen binary into bin/
build:
	$(GO) build -o $(BIN) ./cmd/cicdgen

## test: run every test
test:
	$(GO) test ./...

## bench: run every benchmark, without the tests, then time the binary as whole processes
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(MAKE) --no-print-directory bench-process

## bench-process: median wall and CPU time and peak RSS of --version and of a seed build (30 runs each)
bench-process:
	@mkdir -p .cache/bench
	$(GO) build -o .cache/bench/cicdgen ./cmd/cicdgen
	@uptime
	$(GO) run ./scripts/startbench -n 30 -- .cache/bench/cicdgen --version --- \
		.cache/bench/cicdgen build examples/seed/system.yaml -o .cache/bench/out

## bench-cdk: cicdgen build vs cdk synth of the same system, side by side (needs Node.js and npm)
bench-cdk:
	bash scripts/bench-vs-cdk.sh

## fuzz: fuzz the system.yaml loader for ten minutes
fuzz:
	$(GO) test ./schema -run '^$$' -fuzz FuzzLoad -fuzztime 10m

## lint: go vet, and fail when a file is not gofmt-formatted
lint:
	$(GO) vet ./...
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files need formatting (run gofmt -w):"; \
		echo "$$unformatted"; \
		exit 1; \
	fi

## guard: AWS Control Tower proactive controls (cfn-guard) over the seed's templates
guard:
	$(GO) run ./cmd/cicdgen build examples/seed/system.yaml -o .cache/guard-out
	bash scripts/ct-guard.sh .cache/guard-out

## cfn-lint: lint every golden template with cfn-lint (must be on PATH)
cfn-lint:
	CICDGEN_CFN_LINT=1 $(GO) test ./compiler -run TestCfnLint -count=1 -v

## docs: regenerate docs/stacks.md from the builders' logical-id tables
docs:
	$(GO) test ./compiler -run TestStacksDoc -update

## dist: release archives for linux, darwin and windows (amd64, arm64) and SHA256SUMS into dist/; VERSION=v1.2.3 stamps the version (default: HEAD's tag, else devel+COMMIT)
dist:
	GO=$(GO) $(GO) run ./scripts/dist -out dist $(if $(VERSION),-version $(VERSION))
