#!/usr/bin/env python3
# Validates YAML files against a JSON Schema with python3-jsonschema (Debian), a validator
# independent of qoslab's C parser. Prints "FILE: ok" or "FILE: KEY: message" per file, KEY
# in scenario check's notation (links[0].loss); exit 1 when any file is invalid.
# usage: schema_validate.py SCHEMA.json FILE.yaml...
import json
import re
import sys

import jsonschema
import yaml


def key_of(err):
    path = ""
    for p in err.absolute_path:
        path += "[%d]" % p if isinstance(p, int) else ("." if path else "") + p
    if err.validator == "additionalProperties":
        extra = re.search(r"\('([^']+)' (was|were) unexpected", err.message)
        if extra:
            path += ("." if path else "") + extra.group(1)
    elif err.validator == "required":
        missing = re.match(r"'([^']+)' is a required property", err.message)
        if missing:
            path += ("." if path else "") + missing.group(1)
    return path or "(top)"


def main():
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    status = 0
    for name in sys.argv[2:]:
        with open(name) as f:
            doc = yaml.safe_load(f)
        err = jsonschema.exceptions.best_match(validator.iter_errors(doc))
        if err is None:
            print("%s: ok" % name)
        else:
            print("%s: %s: %s" % (name, key_of(err), err.message))
            status = 1
    return status


sys.exit(main())
