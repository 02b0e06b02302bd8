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

# The README's C and C++ examples, exactly as shown, must build cleanly and
# print what the README says they print: one case each.
expect() {  # NAME OUTPUT PATTERN...
    local name=$1 output=$2
    shift 2
    for pattern; do
        if ! grep -Eq "$pattern" "$output"; then
            echo "test_$name: 0 passed, 1 failed"
            echo "$output lacks /$pattern/:" >&2
            cat "$output" >&2
            exit 1
        fi
    done
    echo "test_$name: 1 passed, 0 failed"
}
python3 tests/c/readme_example.py README.md "$out/readme_example.c"
"$cc" -std=c11 "${warn[@]}" "$out/readme_example.c" -o "$out/readme_example" "${link[@]}"
echo "== README C example (valgrind)"
"${grind[@]}" "$out/readme_example" > "$out/readme_example.out"
expect readme_example "$out/readme_example.out" '^1 chat \{"text":"hi"\}$' '^v2 [0-9a-z]{26}$'
python3 tests/c/readme_example.py README.md "$out/readme_example_cpp.cpp" cpp
"$cxx" -std=c++17 "${warn[@]}" "$out/readme_example_cpp.cpp" -o "$out/readme_example_cpp" "${link[@]}"
echo "== README C++ example (valgrind)"
"${grind[@]}" "$out/readme_example_cpp" > "$out/readme_example_cpp.out"
expect readme_example_cpp "$out/readme_example_cpp.out" '^1 chat \{"text":"hi"\}$' '^v2 a1$'
