# Lakeshore's images, from the repository root:
#   docker build -t lakeshore-server .                          (docs/server.md, "A container image")
#   docker build --target worker -t lakeshore-worker .          (a cluster's worker, docs/cluster.md)

# Build stage: the whole workspace, as Cargo.lock pins it.
FROM rust:1.95-slim-bookworm AS build
# C and C++ for the -sys crates (ring, aws-lc, zstd, liblzma); cmake in case aws-lc asks for it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++ make cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --profile production --locked --bin lakeshore-server --bin lakeshore-worker \
    && cp target/production/lakeshore-server target/production/lakeshore-worker /usr/local/bin/

# What both images run on: CA certificates (object stores over TLS) and a non-root user.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin lakeshore
USER lakeshore

# A cluster's worker: plain gRPC from the coordinator; keep it on a private network.
FROM runtime AS worker
COPY --from=build /usr/local/bin/lakeshore-worker /usr/local/bin/lakeshore-worker
EXPOSE 50061
ENTRYPOINT ["lakeshore-worker", "--listen", "0.0.0.0:50061"]

# The server (the default, last stage); with --cluster it is a cluster's coordinator.
FROM runtime AS server
COPY --from=build /usr/local/bin/lakeshore-server /usr/local/bin/lakeshore-server
# Flight SQL and Prometheus metrics, on every interface of the container. Without --users
# (LAKESHORE_USERS) the server refuses a non-loopback address unless LAKESHORE_INSECURE_NO_AUTH=true.
ENV LAKESHORE_LISTEN=0.0.0.0:50051 \
    LAKESHORE_METRICS_LISTEN=0.0.0.0:9464
EXPOSE 50051 9464
# The gRPC health service: SERVING once the lake is open, NOT_SERVING once shutdown begins.
HEALTHCHECK --interval=10s --timeout=6s --start-period=60s --retries=3 \
    CMD ["lakeshore-server", "health", "127.0.0.1:50051"]
# SIGTERM (docker stop) lets running queries finish for --shutdown-grace seconds (10).
STOPSIGNAL SIGTERM
ENTRYPOINT ["lakeshore-server"]
