import { TEMPLATE_LIMITS } from '@/shared/template/limits';

/** ~1 MB of minimal resources: under the size limit, slow to check (seconds), thousands of problems. */
export function manySmallResources(maxChars = TEMPLATE_LIMITS.maxChars): string {
  let out = 'TemplateFormatVersion: "2025-03-31"\nDescription: many resources\nResources:\n';
  for (let i = 0; ; i++) {
    const r = `  R${i}:\n    Type: InferenceService::MLServer::SKLearn\n    Properties: {}\n`;
    if (out.length + r.length > maxChars) return out;
    out += r;
  }
}
