"""Extract the README's C example into a compilable program (its statements
wrapped in main), so the C tests build and run exactly what the README shows.
Usage: python3 tests/c/readme_example.py README.md OUT.c"""

import re
import sys

readme, out = sys.argv[1], sys.argv[2]
block = re.search(r"```c\n(.*?)```", open(readme, encoding="utf-8").read(), re.S)
if block is None:
    sys.exit("README.md has no ```c example")
lines = block.group(1).splitlines()
includes = [line for line in lines if line.startswith("#include")]
body = [line for line in lines if not line.startswith("#include")]
program = "\n".join(
    ["#include <stdio.h>", *includes, "", "int main(void) {", *body, "    return 0;", "}", ""]
)
open(out, "w", encoding="utf-8").write(program)
