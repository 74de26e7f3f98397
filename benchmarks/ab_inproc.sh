#!/usr/bin/env bash
# Before/after in one run: alternates the in-process benchmark (benchmarks/inproc.py) of two
# checkouts, scenario by scenario, so a slow phase of a shared machine costs both sides alike.
#   benchmarks/ab_inproc.sh BEFORE_DIR AFTER_DIR [ROUNDS] [N]
# BEFORE_DIR and AFTER_DIR are work trees (e.g. `git worktree add /tmp/before <rev>`); each side
# runs its own src/ and benchmarks/ with this checkout's .venv.
set -u
before=$1 after=$2 rounds=${3:-5} n=${4:-800}
py="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python"
for round in $(seq "$rounds"); do
    for scenario in admin_password_auth user_srp_auth refresh get_user sign_up; do
        for side in before after; do
            if [ "$side" = before ]; then dir=$before; else dir=$after; fi
            out=$(cd "$dir" && PYTHONPATH="$dir/src:$dir" "$py" -m benchmarks.inproc --n "$n" "$scenario" 2>&1 | tail -1)
            echo "round $round $scenario $side: $out"
        done
    done
done
