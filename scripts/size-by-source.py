#!/usr/bin/env python3
"""Where a .wasm's code bytes come from, by source file and line (a size-analysis tool; not
part of the build or the tests).

Each row of the DWARF line table covers the bytes up to the next row; they are counted under
the row's file and line, which for inlined code is the line where it was written (so
`core::result` lines mean `?`, `raw_vec` lines mean `Vec` growth inlined at the call sites).

Usage:
    CARGO_TARGET_DIR=/tmp/lines CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
        cargo build --release --lib --target wasm32-unknown-unknown
    python3 scripts/size-by-source.py /tmp/lines/wasm32-unknown-unknown/release/drr_margin.wasm [N]

Prints the N (default 40) largest files, then the largest lines of the five largest files.
Needs `llvm-dwarfdump` (Debian package `llvm`). The module is the linker's, before wasm-bindgen
and wasm-opt: its ≈ 120 KB of wasm-bindgen describe functions are dropped later, and wasm-opt
shrinks the rest by a few per cent, so compare builds with each other, not with the package.
"""

import collections
import os
import re
import subprocess
import sys

# A row more than this many bytes from the next one spans a gap between functions.
MAX_ROW_BYTES = 5000


def short(path):
    path = re.sub(r".*/rustc/[0-9a-f]+/", "std:", path)
    path = re.sub(r".*registry/src/[^/]+/", "", path)
    return path.removeprefix(os.getcwd() + "/")


def rows(dump):
    """(address, file, line, ends a sequence) for every line-table row."""
    directories, files, out = {}, {}, []
    lines = dump.split("\n")
    for i, text in enumerate(lines):
        if text.startswith("debug_line["):
            directories, files = {}, {}
        m = re.match(r'include_directories\[\s*(\d+)\] = "(.*)"', text)
        if m:
            directories[int(m.group(1))] = m.group(2)
        m = re.match(r"file_names\[\s*(\d+)\]:", text)
        if m:
            name = re.search(r'name: "(.*)"', lines[i + 1]).group(1)
            directory = int(re.search(r"dir_index: (\d+)", lines[i + 2]).group(1))
            files[int(m.group(1))] = directories.get(directory, "") + "/" + name
        m = re.match(r"0x([0-9a-f]+)\s+(\d+)\s+\d+\s+(\d+)\s", text)
        if m:
            out.append((int(m.group(1), 16), files.get(int(m.group(3)), "?"),
                        int(m.group(2)), "end_sequence" in text))
    return sorted(out)


def main():
    wasm = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    dump = subprocess.run(["llvm-dwarfdump", "--debug-line", wasm], capture_output=True,
                          text=True, check=True).stdout
    by_file, by_line = collections.Counter(), collections.Counter()
    table = rows(dump)
    for (start, path, line, ends), (end, _, _, _) in zip(table, table[1:]):
        if ends or end - start > MAX_ROW_BYTES:
            continue
        by_file[short(path)] += end - start
        by_line[(short(path), line)] += end - start
    print(f"{sum(by_file.values())} bytes with a source line")
    for path, size in by_file.most_common(top):
        print(f"{size:8} {path}")
    for path, _ in by_file.most_common(5):
        lines = sorted(((size, line) for (p, line), size in by_line.items() if p == path),
                       reverse=True)[:8]
        print(f"\n{path}: " + ", ".join(f"line {line} {size}" for size, line in lines))


if __name__ == "__main__":
    main()
