#!/usr/bin/env python3
"""Builds the fixture comune with `sportello build` into a temporary folder and validates every availability file
(servizi/<service>/<week>.json and next.json, issue 18 point 5) against docs/schema/ with the `jsonschema` package
(draft 2020-12, formats checked); also checks that each .gz twin holds the same bytes and that no file carries
anything beyond the schema (the schemas forbid additional properties, so personal data cannot slip in unnoticed).
Usage: check.py [SPORTELLO_BINARY] (default .build/debug/sportello)."""
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".build/debug/sportello"
    if len(sys.argv) == 1:
        # Up to date after `swift test`; built here when the script runs on its own.
        subprocess.run(["swift", "build", "--product", "sportello"], cwd=ROOT, check=True, capture_output=True)
    schemas = {
        name: json.loads((ROOT / "docs/schema" / name).read_text()) for name in ("week.schema.json", "next.schema.json")
    }
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
    validators = {
        name: Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
        for name, schema in schemas.items()
    }
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "output"
        subprocess.run(
            [str(binary), "build", "--config", str(ROOT / "Tests/Fixtures/comune.json"),
             "--templates", str(ROOT / "site-templates"), "--output", str(output),
             "--database", str(Path(folder) / "sportello.sqlite")],
            check=True, capture_output=True, timeout=300)
        files = sorted(output.glob("servizi/*/*.json"))
        counts = {"week.schema.json": 0, "next.schema.json": 0}
        errors = []
        for path in files:
            name = "next.schema.json" if path.name == "next.json" else "week.schema.json"
            counts[name] += 1
            data = path.read_bytes()
            for error in validators[name].iter_errors(json.loads(data)):
                errors.append(f"{path.relative_to(output)}: {error.json_path}: {error.message}")
            if gzip.decompress((path.parent / (path.name + ".gz")).read_bytes()) != data:
                errors.append(f"{path.relative_to(output)}.gz differs from the file")
        if any(output.glob("*/servizi/*/*.json")):
            errors.append("data files found in a language folder: they belong to the main language's folder only")
        if counts["next.schema.json"] == 0 or counts["week.schema.json"] < 13 * counts["next.schema.json"]:
            errors.append(f"too few files: {counts}")
    for error in errors[:50]:
        print(error)
    print(f"availability data: {counts['week.schema.json']} week files, {counts['next.schema.json']} next.json "
          f"files, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
