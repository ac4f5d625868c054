import type { CliCommand } from '../command';

export const USAGE = `dism-studio dials <subcommand> [options]

  dials login   [--instance URL] [--json]
      Sign in with the device flow, as the DIALS Python client does: open the printed URL, approve,
      and the tokens are cached for that instance in DISM Studio's user-data folder (mode 0600).
  dials logout  [--instance URL] [--json]
      Delete the cached tokens of the instance.
  dials status  [--instance URL] [--json]
      Who is signed in, and the workspaces.
  dials fetch   <template.yaml> --dataset NAME --runs A-B|A,B,C [--instance URL] [--workspace W]
                [--max-ls N] [--me ME …] [--out DIR] [--overwrite] [--json]
      Fetch the sample maps of the template's InputSignature MEs (all, or those given with --me),
      their OMS lumisection attributes and HLT rates, into DIR (default: <project>/data/dials, the
      folder the Preview reads; the project is the template's folder, or its parent when that holds
      preset.json). An interrupted fetch (network, Ctrl-C) is continued by the same command.
      --overwrite replaces an earlier fetch in DIR.
  dials models  [--instance URL] [--workspace W] [--json]
      The models registered in DIALS (ml-models-index).
  dials flags   --model ID --runs A-B|A,B,C [--dataset NAME] [--instance URL] [--workspace W]
                [--json OUT] [--overwrite]
      DIALS's production flags (ml-bad-lumisection) of a model for the runs, with --dataset also its
      cert and golden JSON (ml-bad-lumisection/cert-json/, golden-json/); --json - prints JSON.

  --instance  production (default), development, or any base URL (e.g. http://localhost:8000)
  DIALS_TOKEN a DIALS client secret: sent as X-CLIENT-SECRET (the Python client's secret-key
              credentials) instead of the cached sign-in — for scripts and CI.
  --json      JSON on stdout (progress and the sign-in URL go to stderr)`;

export const dialsCommand: CliCommand = {
  name: 'dials',
  summary: 'Sign in to DIALS, fetch sample maps with OMS/HLT data, list models and their production flags',
  usage: USAGE,
  // The DIALS client is loaded when the command runs, so `dism-studio --help` loads none of it.
  run: async (argv, io) => (await import('./dials-run')).runDials(argv, io),
};
