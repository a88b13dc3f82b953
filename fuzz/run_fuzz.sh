#!/usr/bin/env bash
# Builds every libFuzzer harness of fuzz/ with clang (-fsanitize=fuzzer,address,undefined;
# the library sources compiled in, no GNU Radio runtime) and runs each for a bounded time
# with its corpus under build/fuzz/corpus/<harness> (seeded from fuzz/regressions/<harness>).
# An input that breaks the contract lands in build/fuzz/artifacts/<harness>/ (see README.md).
#   FUZZ_SECONDS   seconds per harness (default 60)
#   FUZZ_HARNESSES which harnesses (default: all fuzz_*.cc)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/build/fuzz"
SECS=${FUZZ_SECONDS:-60}
CXX=${FUZZ_CXX:-clang++}
HARNESSES=${FUZZ_HARNESSES:-$(cd "$ROOT/fuzz" && ls fuzz_*.cc | sed 's/^fuzz_//; s/\.cc$//')}
LIB_SOURCES="constellation_table detector_core lmmse_kernel cg_kernel cg_kernel_setup
             cg_kernel_detect ofdm_fft ofdm_frame_spec ofdm_rx_kernel ofdm_rx_sync
             ofdm_rx_estimate ofdm_rx_evm softbit_quant"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# -march=native as the library's own build (the same SIMD and FMA code paths).
FLAGS="-std=c++17 -O1 -g -march=native -Wno-psabi -I$ROOT/include -I$ROOT/lib"

mkdir -p "$OUT/obj"
objs=()
for s in $LIB_SOURCES; do
  o="$OUT/obj/$s.o"
  if [ ! -f "$o" ] || [ "$ROOT/lib/$s.cc" -nt "$o" ] || [ -n "$(find "$ROOT/lib" "$ROOT/include" -name '*.h' -newer "$o")" ]; then
    "$CXX" $FLAGS $SAN -fsanitize=fuzzer-no-link -c "$ROOT/lib/$s.cc" -o "$o"
  fi
  objs+=("$o")
done

summary=()
for h in $HARNESSES; do
  bin="$OUT/fuzz_$h"
  "$CXX" $FLAGS $SAN -fsanitize=fuzzer "$ROOT/fuzz/fuzz_$h.cc" "${objs[@]}" -o "$bin"
  mkdir -p "$OUT/corpus/$h" "$OUT/artifacts/$h" "$ROOT/fuzz/regressions/$h"
  log="$OUT/fuzz_$h.log"
  echo "fuzz: $h for ${SECS}s (log $log)"
  set +e
  "$bin" "$OUT/corpus/$h" "$ROOT/fuzz/regressions/$h" -max_total_time="$SECS" -max_len=16384 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$h/" \
    >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  grep -h 'items ok' "$log" | tail -1 || true
  if [ $rc -ne 0 ]; then
    echo "fuzz: $h FOUND A PROBLEM (exit $rc); the input is in $OUT/artifacts/$h/:"
    grep -m3 -E 'contract broken|ERROR: |runtime error' "$log" || tail -5 "$log"
  fi
  summary+=("$(printf '%-8s executions %-10s exec/s %-7s cov %-6s %s' "$h" "$execs" "$rate" "$cov" \
               "$([ $rc -eq 0 ] && echo ok || echo FAILED)")")
done
echo "fuzz summary (${SECS}s each):"
printf '  %s\n' "${summary[@]}"
for line in "${summary[@]}"; do case "$line" in *FAILED*) exit 1;; esac; done
