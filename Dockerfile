# syntax=docker/dockerfile:1
# Every image of the pipeline, built from this repository with Maven inside Docker (nothing needs to be built
# on the host first). One target per service, chosen by docker-compose.yml (build.target) or by hand:
#   docker build --target ingress-api -t qrvoucher/ingress-api:0.1.0 .
# Targets: ingress-api, ledger-adapter, voucher-streams, webhook-delivery, and tools (the dead-letter replay,
# docs/operations.md).
# The build stage does not depend on the target, so BuildKit builds it once for all of them.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY . .
# The local repository is a cache mount: a rebuild downloads nothing it has downloaded before.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests -pl ingress-api,ledger-adapter,voucher-streams,webhook-delivery,launcher -am package

# What every service image shares: a JRE, curl for the health check, and a user of its own with a numeric id
# (Kubernetes' runAsNonRoot can check a number, not a name).
FROM eclipse-temurin:17-jre AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app qrvoucher && mkdir -p /app && chown 10001 /app
WORKDIR /app

# Heap sizes: a share of the container's memory limit (MaxRAMPercentage), the rest left to metaspace, threads,
# Netty's direct buffers and, for voucher-streams, RocksDB. ComposeFileTest and KubernetesManifestsTest check
# every limit against these shares. JDK_JAVA_OPTIONS can be set to replace them.

FROM runtime AS ingress-api
COPY --from=build /build/ingress-api/target/ingress-api-*-exec.jar /app/app.jar
USER 10001
ENV JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"
# 8080 the API; 8083 the actuator (health, metrics), not to be published with it
EXPOSE 8080 8083
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s CMD curl -fs http://localhost:8083/actuator/health/readiness || exit 1
ENTRYPOINT ["java", "-jar", "/app/app.jar"]

FROM runtime AS ledger-adapter
COPY --from=build /build/ledger-adapter/target/ledger-adapter-*-exec.jar /app/app.jar
USER 10001
ENV JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"
# 8081 the internal API (the ingress's reads); 8084 the actuator and the admin API, for operators only
EXPOSE 8081 8084
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s CMD curl -fs http://localhost:8084/actuator/health/readiness || exit 1
ENTRYPOINT ["java", "-jar", "/app/app.jar"]

FROM runtime AS voucher-streams
COPY --from=build /build/voucher-streams/target/voucher-streams-*-exec.jar /app/app.jar
# The RocksDB state directory; a volume mounted here takes its owner from the image.
RUN mkdir -p /var/lib/voucher-streams && chown 10001 /var/lib/voucher-streams
USER 10001
# A smaller share for the heap: RocksDB's block caches and memtables live outside it.
ENV JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8082 8087
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s CMD curl -fs http://localhost:8087/actuator/health/readiness || exit 1
ENTRYPOINT ["java", "-jar", "/app/app.jar"]

FROM runtime AS webhook-delivery
COPY --from=build /build/webhook-delivery/target/webhook-delivery-*-exec.jar /app/app.jar
USER 10001
ENV JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"
# 8085 the internal API (the ingress's calls); 8086 the actuator (health, metrics)
EXPOSE 8085 8086
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s CMD curl -fs http://localhost:8086/actuator/health/readiness || exit 1
ENTRYPOINT ["java", "-jar", "/app/app.jar"]

# Operators' tools: the launcher's jar, for the dead-letter replay (compose/dead-letter-replay.sh logs in).
FROM runtime AS tools
COPY --from=build /build/launcher/target/launcher-*-exec.jar /app/launcher.jar
COPY compose/dead-letter-replay.sh /usr/local/bin/dead-letter-replay
USER 10001
ENV JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"
ENTRYPOINT ["dead-letter-replay"]
