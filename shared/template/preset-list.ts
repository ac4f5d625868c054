/**
 * The template presets `new-template --preset` and the New template wizard offer (their text is in
 * skeletons.ts). A module of its own, without the YAML library, so the CLI can list them in its help.
 */
export const PRESETS = [
  { id: 'pixel-barrel-nmf', label: 'Pixel barrel NMF (BPix2–4, MLServer scikit-learn)', type: 'InferenceService::MLServer::SKLearn' },
] as const;
export type PresetId = (typeof PRESETS)[number]['id'];
