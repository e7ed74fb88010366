#!/usr/bin/env python3
"""Validates iotlabel outputs against official schemas, for the Rust tests.

usage: validate.py sarif <sarif-schema.json> <file>   (JSON Schema draft-07, via jsonschema)
       validate.py cyclonedx <file>                   (CycloneDX 1.6, cyclonedx-python-lib JsonStrictValidator)
Exit status 0 when valid; 1 with one line per problem on stderr otherwise.
"""
import json
import sys


def fail(lines):
    for line in lines:
        print(line, file=sys.stderr)
    sys.exit(1)


def sarif(schema_path, path):
    import jsonschema

    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        fail(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors)


def cyclonedx(path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    with open(path, encoding="utf-8") as f:
        text = f.read()
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        fail([str(error).splitlines()[0]])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sarif":
        sarif(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "cyclonedx":
        cyclonedx(sys.argv[2])
    else:
        fail([__doc__])
