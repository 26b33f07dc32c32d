# build.Dockerfile: the image the pipeline's Build and Test stages run in,
# written by `cicdgen init`.
#
# With build.image: ecr, the pipeline's BuildImage stage builds this file
# (docker build --file build.Dockerfile --build-arg CICDGEN_VERSION=… .) and
# pushes it to the repository <name>-build-image-<suffix>, tagged latest and
# with the sha256 of this file and the cicdgen version. It builds again only
# when that hash changes: edit this file (or upgrade cicdgen) and the next
# execution builds the new image before Build runs on it. Files this
# Dockerfile COPYs are not part of the hash: change this file when they change.
#
# What the starter buildspec.yml needs: bash, the Docker engine (CodeBuild
# runs the build privileged; the buildspec starts dockerd), the AWS CLI, and
# the exact cicdgen version that built the system (CICDGEN_VERSION, which the
# pipeline passes). Add your application's toolchain below.

# The cicdgen the pipeline asks for, built from its module version: cicdgen
# and cicdgen-aws (the commands that call AWS, which cicdgen hands over to).
FROM public.ecr.aws/docker/library/golang:1.26 AS cicdgen
ARG CICDGEN_VERSION
RUN case "$CICDGEN_VERSION" in \
      v*) ;; \
      *) echo "CICDGEN_VERSION '$CICDGEN_VERSION' is not a released cicdgen version: build and apply the system with one (go install github.com/cicdgen/cicdgen/cmd/...@vX.Y.Z)" >&2; exit 1 ;; \
    esac \
 && GOBIN=/out go install "github.com/cicdgen/cicdgen/cmd/...@${CICDGEN_VERSION}"

FROM public.ecr.aws/docker/library/debian:trixie-slim
RUN apt-get update \
 && apt-get install --yes --no-install-recommends bash ca-certificates curl docker.io git jq unzip \
 && rm -rf /var/lib/apt/lists/*
# AWS CLI v2 (x86_64; use awscli-exe-linux-aarch64.zip on an ARM build image).
RUN curl --fail --silent --show-error --location https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip --output /tmp/awscliv2.zip \
 && unzip -q /tmp/awscliv2.zip -d /tmp \
 && /tmp/aws/install \
 && rm -rf /tmp/aws /tmp/awscliv2.zip
COPY --from=cicdgen /out/cicdgen /out/cicdgen-aws /usr/local/bin/

# Your application's toolchain, e.g.:
# RUN apt-get update && apt-get install --yes --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
