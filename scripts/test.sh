#!/usr/bin/env bash
# Installs the dependencies, checks the formatting, builds, and runs the whole test suite twice:
# a normal build with the release flags, then one under AddressSanitizer +
# UndefinedBehaviorSanitizer; the concurrency tests run a third time under ThreadSanitizer.
# Ends with one summary line of all doctest cases: "doctest: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
status=0
# Each phase's heading carries the seconds since the start, so a slow CI run shows where.
SECONDS=0

echo "== clang-format"
scripts/check-format.sh || status=1

run_suite() {  # name, build dir, extra meson options...
  local name=$1 dir=$2
  shift 2
  echo "== [${SECONDS}s] $name: configure and build ($dir)"
  [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
  meson compile -C "$dir" -j "$jobs"
  echo "== [${SECONDS}s] $name: meson test"
  # -v prints each doctest binary's summary; failures print their assertions.
  meson test -C "$dir" -v --num-processes "$jobs" --print-errorlogs || status=1
}

# The flags of scripts/run.sh's release build (-O3, NDEBUG), so the binaries tested are the ones
# users run and GCC's -O3-only warnings (-Werror) fail here first. No debug info: CI reads
# test output, not core dumps, and -g costs a third of the build time.
run_suite "normal build" build -Dbench=true -Ddebug=false -Doptimization=3 -Db_ndebug=true

# The installed library, used the three ways another program would: pkg-config (shared and
# static) after `meson install`, and as a Meson subproject.
echo "== [${SECONDS}s] libmemegen consumers: pkg-config (shared), static libmemegen.a, Meson subproject"
tests/consumer/run.sh build || status=1

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
run_suite "ASan+UBSan build" build-asan -Db_sanitize=address,undefined -Db_lundef=false \
  -Dcpp_args=-fno-sanitize-recover=all -Dbench=false -Dexamples=false -Ddebug=false \
  -Doptimization=1

# The tests whose subject is threads (the guard across threads and processes, the monitor's
# sampler, concurrent crash records, the logger, the bot's generation queue), under
# ThreadSanitizer. Only their targets are built: the rest ran twice above.
tsan_tests=(generation_guard crash_state_store resource_monitor log bot_generation)
echo "== [${SECONDS}s] ThreadSanitizer: ${tsan_tests[*]}"
[ -f build-tsan/build.ninja ] || meson setup build-tsan -Db_sanitize=thread -Db_lundef=false \
  -Dbench=false -Dexamples=false -Ddebug=false -Doptimization=1 >/dev/null
meson compile -C build-tsan -j "$jobs" "${tsan_tests[@]/#/tests/test_}"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  meson test -C build-tsan --no-rebuild -v --num-processes "$jobs" --print-errorlogs \
  "${tsan_tests[@]}" || status=1

# The end of CI's output is what a reader sees first, so it names every failure again: each
# suite that did not pass, in which run, with its failing doctest cases and checks. Then one
# line: the sum of every doctest summary in the three runs.
python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
  build-tsan/meson-logs/testlog.json <<'PY'
import json, os, re, sys
passed = failed = skipped = 0
for log in sys.argv[1:]:
    if not os.path.exists(log):
        print(f"FAILED: {log} is missing (that run did not get to its tests)")
        failed += 1
        continue
    run = log.split("/")[0]
    with open(log) as f:
        for line in f:
            suite = json.loads(line)
            out = suite.get("stdout", "") or ""
            for m in re.finditer(r"\[doctest\] test cases:\s*\d+ \|\s*(\d+) passed \|\s*(\d+) failed \|\s*(\d+) skipped", out):
                passed += int(m.group(1)); failed += int(m.group(2)); skipped += int(m.group(3))
            if suite.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL"):
                print(f"FAILED: {run} / {suite.get('name')}: {suite.get('result')} "
                      f"after {suite.get('duration', 0):.0f} s")
                text = out + (suite.get("stderr", "") or "")
                for hit in re.findall(r"^(?:TEST CASE:.*|.*(?:ERROR|FATAL ERROR): .*|  values: .*)$", text, re.M)[:20]:
                    print(f"    {hit.strip()}")
print(f"doctest: {passed} passed, {failed} failed, {skipped} skipped")
PY
echo "== [${SECONDS}s] done"
exit $status
