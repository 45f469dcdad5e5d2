#!/usr/bin/env bash
# Runs the benchmarks (all of them by default, about 19 minutes on 2 cores) and writes the results:
# a JSON file per run in docs/benchmark-runs/, the tables of docs/benchmarks.md and docs/benchmarks.svg.
#   ./bench.sh report   (only remakes the document and chart from the stored runs)
#   ./bench.sh [all | qr expiry topology ledger e2e] [--records=400000] [--rounds=5] [--partitions=3]
#              [--ledger-commands=20000] [--redemptions-per-second=50,100,150,200,500] [--duration=60] [--warm-up=180]
#              [--voucher.commit-interval=100ms] [--ledger.listener-concurrency=3]   (options: docs/benchmarks.md)
#   ./bench.sh peer [--customers=64] [--workers=64] [--light=8] [--duration=30] [--warmup=20] [--warmup-run=180]
#              [--pipeline-first]
#              (the race against ../shared/bench/peer-pg, same loadgen, one after the other: benchmarks/peer-race.sh;
#              writes its table and docs/peer-race.svg into docs/benchmarks.md)
#   ./bench.sh peer-report   (only remakes that table and chart from the latest race's runs)
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${1:-}" == peer ]]; then
  shift
  exec benchmarks/peer-race.sh "$@"
fi
mvn -q -B -DskipTests install -pl benchmarks -am
exec java -Xmx4g -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.qrvoucher.bench.Benchmarks "$@"
