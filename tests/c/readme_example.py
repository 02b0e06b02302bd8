"""Extract the README's C examples into a compilable program (each one's
statements in a block of their own in main), so the C tests build and run
exactly what the README shows.
Usage: python3 tests/c/readme_example.py README.md OUT.c"""

import re
import sys

readme, out = sys.argv[1], sys.argv[2]
blocks = re.findall(r"```c\n(.*?)```", open(readme, encoding="utf-8").read(), re.S)
if not blocks:
    sys.exit("README.md has no ```c example")
includes, body = [], []
for block in blocks:
    lines = block.splitlines()
    includes += [line for line in lines if line.startswith("#include")]
    body += ["{", *[line for line in lines if not line.startswith("#include")], "}"]
program = "\n".join(
    [
        "#include <stdio.h>",
        *dict.fromkeys(includes),
        "",
        "int main(void) {",
        *body,
        "    return 0;",
        "}",
        "",
    ]
)
open(out, "w", encoding="utf-8").write(program)
