#!/usr/bin/env bash
# Build and run the C and C++ tests against the built library, each plainly,
# under AddressSanitizer + UndefinedBehaviorSanitizer, and under valgrind.
# Usage: tests/c/run.sh LIBDIR OUTDIR
set -euo pipefail
libdir="$(cd "$1" && pwd)"
out="$2"
mkdir -p "$out"
cc="${CC:-cc}"
cxx="${CXX:-c++}"
warn=(-Wall -Wextra -Wpedantic -Werror -g -Iinclude)
link=(-L"$libdir" -lsocketio_history -Wl,-rpath,"$libdir" -lm -pthread)
san=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
# valgrind runs one thread at a time; --fair-sched keeps a thread spinning
# on a lock from starving the one that holds it (seen: test_threads hung).
# Every run has a time limit so that a hang fails here, named, instead of
# using up CI's whole budget.
limit=(timeout --kill-after=10 300)
grind=("${limit[@]}" valgrind --quiet --fair-sched=yes --leak-check=full
       --errors-for-leak-kinds=definite,indirect --error-exitcode=99)

for t in test_api test_threads test_messages test_durable; do
    "$cc" -std=c11 "${warn[@]}" "tests/c/$t.c" -o "$out/$t" "${link[@]}"
    "$cc" -std=c11 "${warn[@]}" "${san[@]}" "tests/c/$t.c" -o "$out/$t-asan" "${link[@]}"
done
"$cxx" -std=c++17 "${warn[@]}" tests/c/test_cpp.cpp -o "$out/test_cpp" "${link[@]}"

for t in test_api test_threads test_messages test_durable test_cpp; do
    echo "== $t"
    "${limit[@]}" "$out/$t"
    if [ -x "$out/$t-asan" ]; then
        echo "== $t (ASan+UBSan)"
        "${limit[@]}" "$out/$t-asan"
    fi
    echo "== $t (valgrind)"
    light=()
    [ "$t" = test_threads ] && light=(--light)
    "${grind[@]}" "$out/$t" "${light[@]}"
done

# The README's C example, exactly as shown, must build cleanly and run.
python3 tests/c/readme_example.py README.md "$out/readme_example.c"
"$cc" -std=c11 "${warn[@]}" "$out/readme_example.c" -o "$out/readme_example" "${link[@]}"
echo "== README C example (valgrind)"
"${grind[@]}" "$out/readme_example" > "$out/readme_example.out"
grep -q '^1 chat {"text":"hi"}$' "$out/readme_example.out"
grep -Eq '^v2 [0-9a-z]{26}$' "$out/readme_example.out"
echo "test_readme_example: 2 passed, 0 failed"
