import type { ModelPreset } from '@/shared/preset/model-preset';

/** The demo's DIALS template: the production pixel-barrel NMF template, pointing at the demo model. */
export function demoTemplateYaml(preset: ModelPreset): string {
  const bool = ['cms_active', 'beams_stable', 'bpix_ready', 'fpix_ready', 'tibtid_ready', 'tob_ready', 'tecp_ready', 'tecm_ready'];
  const attr = (name: string, type: string) =>
    `            - Name: ${name}\n              DataType: ${type}\n              Dims:\n                - -1\n`;
  const inputs = preset.layers
    .map(
      (l) =>
        `        - Name: ${l.name}\n          MonitoringElement: ${l.monitoringElement}\n          DataType: TYPE_INT32\n          Dims:\n            - -1\n            - ${l.shape[0]}\n            - ${l.shape[1]}\n`,
    )
    .join('');
  return `TemplateFormatVersion: "2025-03-31"
Description: NMF model for pixel cluster occupancy (DISM Studio demo project)
Resources:
  PixelNMF:
    Type: InferenceService::MLServer::SKLearn
    Workspace: global
    Properties:

      # general properties
      Description: Spot anomalies in the pixel cluster occupancy (barrel layers); demo model trained on synthetic maps
      Name: pixel-barrel-nmf-demo
      Image: registry.cern.ch/docker.io/seldonio/mlserver:1.5.0
      # note: the FlaggingKey and MetricKey should correspond to one of the names in the ResponseOutput,
      #       defined in mlserver-model/app.py/postprocess!
      FlaggingKey: Flag
      MetricKey: Metric
      BuiltinThreshold: true

      # set conditions for running inference
      InferenceOnConditions:
        MinRunNumber: 398000
        MaxRunNumber: 999999
        StableBeams: True
        FillType: PROTONS
        MinBField: 3.5
        MinEnergy: 6500
        Clock: LHC
        Sequence: GLOBAL-RUN
        L1KeyMatch: .*collisions.*
        L1MenuMatch: .*_Collisions.*_.*
        HLTConfigMatch: .*/physics/.*
        AllowedPrimaryDatasets:
          - StreamExpress
          - ZeroBias

      # extra input data from OMS
      InputMetadata:
        - Name: oms_lumisection_info
          Source: OMS
          Endpoint: lumisections
          Attributes:
${attr('run_number', 'TYPE_INT32')}${attr('lumisection_number', 'TYPE_INT32')}${attr('pileup', 'TYPE_FP32')}${bool.map((b) => attr(b, 'TYPE_BOOL')).join('')}        - Name: hlt_zerobias
          Source: OMS
          Endpoint: hltpathrates
          Filter:
            - Name: path_name
              Value: HLT_ZeroBias_v\\d+
              Operation: LIST_AND_MATCH
          Attributes:
${attr('rate', 'TYPE_FP32')}
      # input data: one cluster-occupancy map per barrel layer
      InputSignature:
${inputs}      OutputSignature:
        - Name: Flag
          DataType: TYPE_BOOL
          Dims:
            - -1
        - Name: Metric
          DataType: TYPE_FP32
          Dims:
            - -1
      CodeUri: mlserver-model/
      Handler: app.Handler
      # per-layer NMF components, local norms and loss masks (see docs/demo-project.md)
      ModelUri: mlserver-model/model.npz
      Resources:
        Requests:
          cpu: null
          gpu: null
          memory: null
        Limits:
          cpu: null
          gpu: null
          memory: null
`;
}
