#!/usr/bin/env bash
# Runs the whole pipeline on this machine: builds it if needed, then starts an embedded KRaft broker,
# an embedded PostgreSQL and the four services, with the demo customers alice, bob and carol.
# Data lives under ./data (or --data-dir=...); Ctrl-C stops everything; --reset wipes the data first.
set -euo pipefail
cd "$(dirname "$0")"
jar=launcher/target/launcher-0.1.0-SNAPSHOT-exec.jar
# Rebuilt when any source is newer than the jar: code, resources (configuration, migrations, the web app), schemas, poms.
if [[ ! -f "$jar" || -n "$(find . \( -path ./data -o -path '*/target' -o -path ./.git -o -path '*/node_modules' \) -prune -o \
    -type f \( -path '*/src/main/*' -o -name pom.xml \) -newer "$jar" -print -quit)" ]]; then
  mvn -q -B -DskipTests install
fi
exec java -jar "$jar" "$@"
