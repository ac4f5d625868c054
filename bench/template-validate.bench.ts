// Validation speed of a 20-resource template (the production pixel NMF resource, 20 times):
// the editor re-parses and re-validates on every keystroke, so this must stay well under a frame
// budget. Target: median under 50 ms for parse + validate.
import { readFileSync } from 'node:fs';
import { parseTemplate } from '../shared/template/document';
import { duplicatePair, setValue } from '../shared/template/edit';
import { validateParsed } from '../shared/template/validate/index';

const base = readFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', 'utf8');
let text = base;
for (let i = 2; i <= 20; i++) text = duplicatePair(text, ['Resources', 'PixelNMF'], `PixelNMF${i}`).text;
const lines = text.split('\n').length;

function stats(label: string, runs: number, fn: () => unknown): void {
  for (let i = 0; i < 10; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
  console.log(`${label.padEnd(44)} median ${q(0.5)} ms   p95 ${q(0.95)} ms   min ${times[0].toFixed(2)} ms   (${runs} runs)`);
}

const parsed = parseTemplate(text);
const problems = validateParsed(parsed);
console.log(`template: 20 resources, ${lines} lines, ${text.length} chars; ${problems.length} problems (${problems.filter((p) => p.severity === 'error').length} errors)`);
stats('parse + validate (20 resources)', 100, () => validateParsed(parseTemplate(text)));
stats('validate only, already parsed', 100, () => validateParsed(parsed));
let n = 0;
stats('form edit of one Name + re-parse + validate', 100, () => {
  const edited = setValue(parsed, ['Resources', 'PixelNMF7', 'Properties', 'Name'], `pixel-nmf-${n++}`).text;
  return validateParsed(parseTemplate(edited));
});
stats('parse + validate (production, 1 resource)', 200, () => validateParsed(parseTemplate(base)));
