// validateResource returning the issues whether it throws (errors) or returns (warnings).
import { validateResource } from '@medplum/core';

export function validateOne(resource) {
  try {
    return validateResource(resource);
  } catch (err) {
    // validateResource throws an OperationOutcomeError on errors; warnings come back as a list.
    const outcome = err?.outcome;
    if (outcome?.issue) {
      return outcome.issue;
    }
    return [{ severity: 'error', code: 'exception', diagnostics: String(err?.message ?? err) }];
  }
}
