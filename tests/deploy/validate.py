"""Validate a JSON instance against a JSON schema (draft 4, as OCI and OpenAPI v3 use).

Usage: python3 validate.py SCHEMA.json INSTANCE.json [SCHEMA_DIR]
SCHEMA_DIR: where relative `$ref`s (the OCI runtime-spec's `defs.json`) are read from.
Prints one line per error and exits 1 when there are any. Needs Debian's python3-jsonschema.
"""
import json
import pathlib
import sys
import warnings

import jsonschema

# RefResolver is deprecated in newer releases, still the API Debian's 4.10 has.
warnings.filterwarnings("ignore", category=DeprecationWarning)

schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
instance = json.loads(pathlib.Path(sys.argv[2]).read_text())
if len(sys.argv) > 3:
    base = pathlib.Path(sys.argv[3]).resolve().as_uri() + "/"
    # The schemas' own `id` points to the web: resolve against the local files instead.
    schema.pop("id", None)
    store = {}
    for f in pathlib.Path(sys.argv[3]).glob("*.json"):
        doc = json.loads(f.read_text())
        doc.pop("id", None)
        store[f.resolve().as_uri()] = doc
    resolver = jsonschema.RefResolver(base_uri=base, referrer=schema, store=store)
    validator = jsonschema.Draft4Validator(schema, resolver=resolver)
else:
    validator = jsonschema.Draft4Validator(schema)
errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
for e in errors:
    print("/".join(map(str, e.path)) + ": " + e.message)
sys.exit(1 if errors else 0)
