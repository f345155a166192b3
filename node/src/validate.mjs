// Validates FHIR R4 resources with @medplum/core's validateResource (an independent validator
// for Bedside's Python tests).
//
// Usage: node src/validate.mjs FILE.json   (or JSON on stdin)
// Input: a resource, a JSON array of resources, or a Bundle (the Bundle itself and every entry
// resource are validated). Output (stdout, one JSON object):
//   {"validator": "@medplum/core 4.5.2", "results": [{"resourceType", "id", "path", "issues": [...]}]}
// where issues are OperationOutcome issues (empty when valid). Exit code 0 when every resource is
// valid, 1 when any has an error issue, 2 on unreadable input.
import { readFileSync } from 'node:fs';
import { loadDefinitions } from './definitions.mjs';
import { validateOne } from './validate-one.mjs';

const CORE_VERSION = JSON.parse(
  readFileSync(new URL('../node_modules/@medplum/core/package.json', import.meta.url), 'utf8'),
).version;

function targets(input) {
  const list = Array.isArray(input) ? input : [input];
  const out = [];
  list.forEach((resource, i) => {
    const base = Array.isArray(input) ? `[${i}]` : '';
    out.push({ resource, path: base || resource?.resourceType || '?' });
    if (resource?.resourceType === 'Bundle') {
      (resource.entry ?? []).forEach((entry, j) => {
        if (entry?.resource) {
          out.push({ resource: entry.resource, path: `${base}Bundle.entry[${j}].resource` });
        }
      });
    }
  });
  return out;
}

function main() {
  let input;
  try {
    const text = process.argv[2] ? readFileSync(process.argv[2], 'utf8') : readFileSync(0, 'utf8');
    input = JSON.parse(text);
  } catch (err) {
    process.stderr.write(`cannot read input: ${err.message}\n`);
    process.exit(2);
  }
  loadDefinitions();
  const results = targets(input).map(({ resource, path }) => ({
    resourceType: resource?.resourceType ?? null,
    id: resource?.id ?? null,
    path,
    issues: validateOne(resource),
  }));
  process.stdout.write(JSON.stringify({ validator: `@medplum/core ${CORE_VERSION}`, results }) + '\n');
  const failed = results.some((r) => r.issues.some((i) => i.severity === 'error' || i.severity === 'fatal'));
  process.exitCode = failed ? 1 : 0; // not process.exit: it would cut a large stdout short
}

main();
