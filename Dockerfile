# The cicdgen container image, for CI jobs that run in a container (GitLab CI,
# CodeBuild, Buildkite, ...):
#
#   docker build --build-arg VERSION=v1.2.3 -t cicdgen:v1.2.3 .
#   docker run --rm -v "$PWD:/work" cicdgen:v1.2.3 cicdgen validate
#
# The binaries, cicdgen and cicdgen-aws (the commands that call AWS, which
# cicdgen hands over to), are built as `make dist` builds them (static,
# -trimpath, the version stamped in); the image adds a shell and CA certificates on Alpine, so that
# CI scripts run in it and the AWS SDK reaches AWS over TLS. It has no
# ENTRYPOINT, so CI systems that run their script in the image need no
# override.

ARG GO_VERSION=1.26
ARG ALPINE_VERSION=3.22

FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -buildid= -X github.com/cicdgen/cicdgen/internal/version.stamped=${VERSION}" \
      -o /out/ ./cmd/cicdgen ./cmd/cicdgen-aws \
 && /out/cicdgen --version && /out/cicdgen-aws --version

FROM alpine:${ALPINE_VERSION}
RUN apk add --no-cache ca-certificates \
 && adduser -D -u 10001 cicdgen
COPY --from=build /out/cicdgen /out/cicdgen-aws /usr/local/bin/
USER cicdgen
WORKDIR /work
CMD ["cicdgen", "--help"]
