#!/usr/bin/python3
"""Validate STAC Items (one JSON document per line, or FeatureCollections of
them) against the STAC 1.0.0 Item schema and the schemas of the extensions
each Item declares, all read from the copies beside this file: $refs to
schemas.stacspec.org, stac-extensions.github.io and geojson.org resolve to
them, never to the network.

usage: validate.py FILE...   prints "N items valid, M invalid"; exit 1 if M
"""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
LOCAL = {
    'https://schemas.stacspec.org/v1.0.0/item-spec/json-schema/': 'stac-spec-v1.0.0/item-spec/json-schema/',
    'https://stac-extensions.github.io/sat/v1.0.0/': 'sat-v1.0.0/',
    'https://stac-extensions.github.io/processing/v1.0.0/': 'processing-v1.0.0/',
    'https://geojson.org/schema/': 'geojson/',
}


def load_store():
    store = {}
    for url, rel in LOCAL.items():
        d = os.path.join(HERE, rel)
        for name in os.listdir(d):
            if name.endswith('.json'):
                with open(os.path.join(d, name)) as f:
                    schema = json.load(f)
                store[url + name] = schema
                if '$id' in schema:
                    store[schema['$id'].rstrip('#')] = schema
    return store


def no_network(uri):
    raise jsonschema.RefResolutionError('not in the local copies: %s' % uri)


def validate(item, store):
    errors = []
    urls = ['https://schemas.stacspec.org/v1.0.0/item-spec/json-schema/item.json']
    urls += item.get('stac_extensions', [])
    for url in urls:
        schema = store.get(url)
        if schema is None:
            errors.append('no local copy of %s' % url)
            continue
        resolver = jsonschema.RefResolver(url, schema, store=store,
                                          handlers={'http': no_network, 'https': no_network})
        cls = jsonschema.validators.validator_for(schema)
        for e in cls(schema, resolver=resolver).iter_errors(item):
            errors.append('%s: %s at %s' % (url.rsplit('/', 3)[-3], e.message[:200], list(e.absolute_path)))
    return errors


def main():
    store = load_store()
    good = bad = 0
    for path in sys.argv[1:]:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                doc = json.loads(line)
                items = doc['features'] if doc.get('type') == 'FeatureCollection' else [doc]
                for item in items:
                    errs = validate(item, store)
                    if errs:
                        bad += 1
                        print('INVALID %s: %s' % (item.get('id'), '; '.join(errs[:5])))
                    else:
                        good += 1
    print('%d items valid, %d invalid' % (good, bad))
    sys.exit(1 if bad or not good else 0)


if __name__ == '__main__':
    main()
