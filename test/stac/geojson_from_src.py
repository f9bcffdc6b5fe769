#!/usr/bin/python3
"""Build the GeoJSON JSON Schemas (Feature.json, Geometry.json) that the STAC
Item schema refers to (https://geojson.org/schema/...) from the JavaScript
sources of github.com/geojson/schema (MIT licence), as its bin/format.js
does, without node: every src/schema/*.js module is an object literal that
imports others; they are inlined.

usage: geojson_from_src.py SRC_SCHEMA_DIR OUTDIR
"""
import json
import os
import re
import sys


def load(path, cache):
    if path in cache:
        return cache[path]
    text = open(path).read()
    names = {}
    for name, rel in re.findall(r"import\s+(\w+)\s+from\s+'([^']+)';", text):
        names[name] = load(os.path.normpath(os.path.join(os.path.dirname(path), rel)), cache)
    body = re.sub(r"import[^;]+;", "", text)
    body = body.replace('export default', '').strip().rstrip(';')
    body = re.sub(r"'([^']*)'", lambda m: json.dumps(m.group(1)), body)
    body = re.sub(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:", r'\1"\2":', body)
    body = re.sub(r",(\s*[}\]])", r"\1", body)
    for name in sorted(names, key=len, reverse=True):
        body = re.sub(r"(?<![\w\"])%s(?![\w\"])" % name, json.dumps(names[name]), body)
    cache[path] = json.loads(body)
    return cache[path]


def main():
    src, out = sys.argv[1], sys.argv[2]
    cache = {}
    for name in ('Feature', 'Geometry'):
        schema = {'$schema': 'http://json-schema.org/draft-07/schema#',
                  '$id': 'https://geojson.org/schema/%s.json' % name}
        schema.update(load(os.path.join(src, name + '.js'), cache))
        with open(os.path.join(out, name + '.json'), 'w') as f:
            json.dump(schema, f, indent=2)
            f.write('\n')


if __name__ == '__main__':
    main()
