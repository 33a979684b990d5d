# lakeshore-server in a container: `docker build -t lakeshore-server .` from the repository root.
# See docs/server.md ("A container image") for running it.

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
    cargo build --release --locked --bin lakeshore-server \
    && cp target/release/lakeshore-server /usr/local/bin/lakeshore-server

# Final stage: the binary and CA certificates (object stores over TLS), as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin lakeshore
COPY --from=build /usr/local/bin/lakeshore-server /usr/local/bin/lakeshore-server
USER lakeshore
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
