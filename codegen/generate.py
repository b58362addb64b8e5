#!/usr/bin/env python3
"""Emit generated/ from spec/.

Each module in ablygen/ that is listed in MODULES turns part of spec/ into C
files. A module exposes `generate(root: pathlib.Path) -> dict[str, str]`, mapping
paths relative to generated/ to their full text. Output must be deterministic:
no timestamps, stable ordering. `--check` writes nothing and exits 1 when
generated/ differs from what spec/ produces (CI uses it to catch drift).
"""
import argparse
import importlib
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "codegen"))

# Order does not matter; each module owns distinct output files.
MODULES = ["registry", "errors", "defaults", "types"]


def collect(root):
    files = {}
    for name in MODULES:
        if not (root / "codegen" / "ablygen" / f"{name}.py").exists():
            print(f"codegen: module ablygen.{name} not present, skipped", file=sys.stderr)
            continue
        module = importlib.import_module(f"ablygen.{name}")
        for path, text in module.generate(root).items():
            if path in files:
                sys.exit(f"codegen: {path} is produced by two modules")
            files[path] = text
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="report drift between spec/ and generated/ and exit 1 if any")
    args = parser.parse_args()

    out_dir = ROOT / "generated"
    wanted = collect(ROOT)
    existing = {str(p.relative_to(out_dir)) for p in out_dir.rglob("*")
                if p.is_file() and p.name != "README.md"}
    drift = []
    for rel, text in sorted(wanted.items()):
        target = out_dir / rel
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            drift.append(f"changed: generated/{rel}")
            if not args.check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    for rel in sorted(existing - set(wanted)):
        drift.append(f"stale:   generated/{rel}")
        if not args.check:
            (out_dir / rel).unlink()

    if args.check:
        if drift:
            print("codegen: generated/ is out of date with spec/; run `cmake --build build --target regen`")
            print("\n".join(drift))
            return 1
        print(f"codegen: generated/ matches spec/ ({len(wanted)} files)")
        return 0
    print(f"codegen: {len(wanted)} files, {len(drift)} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
