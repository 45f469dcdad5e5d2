#!/usr/bin/env bash
# The race against the peer: the service a bank would build instead (../shared/bench/peer-pg, one Spring
# service on PostgreSQL) and the pipeline (the one-machine run), one after the other on this machine,
# driven by the same loadgen with the same settings: a closed loop at light load, a closed loop at 64
# workers, and an open loop offered twice what that closed loop completed. 64 payers pay 64 payees.
# Each run's loadgen JSON goes to docs/benchmark-runs/peer-race-<time>.jsonl, and every run's second-by-second
# progress (the warm-ups' too) to peer-race-<time>.seconds.txt beside it, so that a run that came out low shows
# whether it stalled or ran uniformly slower; the side-by-side table and chart are written into docs/benchmarks.md
# (between its peer-race markers) and docs/peer-race.svg, and printed.
#   ./bench.sh peer [--customers=64] [--workers=64] [--light=8] [--duration=30] [--warmup=20] [--warmup-run=180]
#                   [--pipeline-first]   (the peer races first unless told; the order is in the progress file)
set -euo pipefail
cd "$(dirname "$0")/.."
customers=64 workers=64 light=8 duration=30 warmup=20 warmup_run=180 order="peer pipeline"
for arg in "$@"; do
  case "$arg" in
    --customers=*) customers="${arg#*=}" ;; --workers=*) workers="${arg#*=}" ;; --light=*) light="${arg#*=}" ;;
    --duration=*) duration="${arg#*=}" ;; --warmup=*) warmup="${arg#*=}" ;; --warmup-run=*) warmup_run="${arg#*=}" ;;
    --pipeline-first) order="pipeline peer" ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r ../shared/bench "$work"
echo "building the loadgen, the peer and the pipeline" >&2
mvn -q -B -f "$work/bench/loadgen/pom.xml" -DskipTests package
mvn -q -B -f "$work/bench/peer-pg/pom.xml" -DskipTests package
mvn -q -B -DskipTests install
launcher=launcher/target/launcher-0.1.0-SNAPSHOT-exec.jar
out="docs/benchmark-runs/peer-race-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
seconds="${out%.jsonl}.seconds.txt"
mkdir -p docs/benchmark-runs

await_ok() { # url [method] [body]
  for _ in $(seq 1 240); do
    if curl -fs -o /dev/null -X "${2:-GET}" -H 'Content-Type: application/json' ${3:+-d "$3"} "$1"; then return 0; fi
    sleep 0.5
  done
  echo "not ready: $1" >&2; return 1
}

drive() { # label base-url options...: the loadgen on the load customers, its progress kept in $seconds
  local label="$1" base="$2"; shift 2
  echo "== $label ($(date -u +%H:%M:%S) UTC)" >>"$seconds"
  "$work/bench/loadgen/bin/loadgen" --base-url "$base" --payers "load-payer-1..$customers" \
    --payees "load-payee-1..$customers" "$@" 2>>"$seconds" || { tail -n 5 "$seconds" >&2; return 1; }
}

# Each measured run starts a fresh loadgen JVM: its first ten seconds or so its own JIT compiler holds back what it
# sends (the eighteenth race's progress: closed 64 rose from 64 cycles/s to its level over 8-12 s, for both systems),
# so a run is measured after --warmup seconds (20 by default; 10 until that race).
loadgen() { # system base-url label options...: a measured run, kept in $out
  local system="$1" base="$2" label="$3"; shift 3
  echo "== $system $label" >&2
  drive "$system $label" "$base" --warmup "$warmup" --duration "$duration" --cpu "$system=$server" \
    --label "$system $label" "$@" |
    tee -a "$out"
}

race() { # system base-url
  local system="$1" base="$2"
  # Not measured, the same for both: three minutes at full load, so that neither is measured while its JIT
  # compiler still takes a large share of the CPU (the pipeline's one JVM holds five services' code; after
  # one minute it still completed a third less than after three).
  echo "== $system warm-up, ${warmup_run}s at $workers workers" >&2
  drive "$system warm-up" "$base" --warmup 0 --duration "$warmup_run" --mode closed --workers "$workers" >/dev/null
  loadgen "$system" "$base" "closed-$light" --mode closed --workers "$light" >/dev/null
  local most
  most=$(loadgen "$system" "$base" "closed-$workers" --mode closed --workers "$workers" | jq -r '.cycles_per_s')
  local offered
  offered=$(printf '%.0f' "$(echo "$most * 2" | bc -l)")
  loadgen "$system" "$base" "open-2x-$offered" --mode open --rate "$offered" --ramp 5 >/dev/null
}

run_peer() {
  echo "starting the peer" >&2
  java -jar "$work/bench/peer-pg/target/peer-pg.jar" --peer.load.customers="$customers" >"$work/peer.log" 2>&1 &
  server=$!
  await_ok http://127.0.0.1:8090/dev/token POST '{"customerId":"alice"}'
  race peer http://127.0.0.1:8090
  kill "$server"; wait "$server" 2>/dev/null || true
  server=
}

run_pipeline() {
  echo "starting the pipeline" >&2
  java -jar "$launcher" --data-dir="$work/pipeline-data" --reset --load-customers="$customers" >"$work/pipeline.log" 2>&1 &
  server=$!
  await_ok http://127.0.0.1:8083/actuator/health/readiness
  race pipeline http://127.0.0.1:8080
  kill "$server"; wait "$server" 2>/dev/null || true
  server=
}

for system in $order; do
  "run_$system"
done

echo "runs: $out" >&2
java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.qrvoucher.bench.Benchmarks peer-report
echo "written into docs/benchmarks.md and docs/peer-race.svg:" >&2
sed -n '/<!-- peer-race:begin/,/<!-- peer-race:end/p' docs/benchmarks.md
