"""Extract the README's C examples (or with ``cpp``, its C++ example) into a
compilable program (each one's statements in a block of their own in main),
so the C tests build and run exactly what the README shows.
Usage: python3 tests/c/readme_example.py README.md OUT.c [c|cpp]"""

import re
import sys

readme, out = sys.argv[1], sys.argv[2]
lang = sys.argv[3] if len(sys.argv) > 3 else "c"
# A fenced block, indented or not (the C++ one sits in a list item).
fence = re.compile(r"^( *)```" + re.escape(lang) + r"\n(.*?)^\1```", re.S | re.M)
text = open(readme, encoding="utf-8").read()
blocks = [re.sub(r"^" + m.group(1), "", m.group(2), flags=re.M) for m in fence.finditer(text)]
if not blocks:
    sys.exit(f"README.md has no ```{lang} example")
includes, body = [], []
for block in blocks:
    lines = block.splitlines()
    includes += [line for line in lines if line.startswith("#include")]
    body += ["{", *[line for line in lines if not line.startswith("#include")], "}"]
program = "\n".join(
    [
        *dict.fromkeys(["#include <stdio.h>" if lang == "c" else "#include <cstdio>", *includes]),
        "",
        "int main(void) {" if lang == "c" else "int main() {",
        *body,
        "    return 0;",
        "}",
        "",
    ]
)
open(out, "w", encoding="utf-8").write(program)
