# Makefile of cicdgen. `make test` is what CI runs (.ci/run).

GO ?= go
BIN ?= bin/cicdgen
AWS_BIN ?= $(dir $(BIN))cicdgen-aws

.PHONY: all build test bench bench-process bench-cdk fuzz lint guard docs cfn-lint dist moto-test

all: lint test build

## build: compile the cicdgen and cicdgen-aws binaries into bin/ (cicdgen hands apply, diff, preflight, status and destroy to cicdgen-aws beside it)
build:
	$(GO) build -o $(BIN) ./cmd/cicdgen
	$(GO) build -o $(AWS_BIN) ./cmd/cicdgen-aws

## test: run every test
test:
	$(GO) test ./...

## bench: run every benchmark, without the tests, then time the binary as whole processes
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(MAKE) --no-print-directory bench-process

## bench-process: wall and CPU time and peak RSS of --version and a seed build (30 runs), and of 50/100/200 environments
bench-process:
	@mkdir -p .cache/bench
	$(GO) build -o .cache/bench/cicdgen ./cmd/cicdgen
	$(GO) build -o .cache/bench/startbench ./scripts/startbench
	$(GO) build -o .cache/bench/scale-system ./scripts/scale-system
	for n in 50 100 200; do .cache/bench/scale-system $$n > .cache/bench/scale-$$n.yaml; done
	@uptime
	.cache/bench/startbench -n 30 -- .cache/bench/cicdgen --version --- \
		.cache/bench/cicdgen build examples/seed/system.yaml -o .cache/bench/out
	.cache/bench/startbench -n 5 -- \
		.cache/bench/cicdgen build .cache/bench/scale-50.yaml -o .cache/bench/out-50 --- \
		.cache/bench/cicdgen build .cache/bench/scale-100.yaml -o .cache/bench/out-100 --- \
		.cache/bench/cicdgen build .cache/bench/scale-200.yaml -o .cache/bench/out-200

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

## moto-test: apply and diff against moto_server (must be on PATH), an independent fake of AWS
moto-test:
	CICDGEN_MOTO=1 bash scripts/moto-test.sh

## dist: release archives for linux, darwin and windows (amd64, arm64) and SHA256SUMS into dist/; VERSION=v1.2.3 stamps the version (default: HEAD's tag, else devel+COMMIT)
dist:
	GO=$(GO) $(GO) run ./scripts/dist -out dist $(if $(VERSION),-version $(VERSION))
