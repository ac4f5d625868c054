#!/bin/bash
# TEST STAND-IN for the real image's /opt/nvidia/nvidia_entrypoint.sh: prints a banner, then runs
# the command (bash when there is none).
cat <<BANNER

=====================================================
== Triton Inference Server — TEST STAND-IN (DISM) ==
=====================================================

This is dism-test/tritonserver:${NVIDIA_TRITON_SERVER_VERSION}-py3, built locally by DISM Studio's
test/stand-ins/triton/build.sh for tests. It imitates nvcr.io/nvidia/tritonserver:${NVIDIA_TRITON_SERVER_VERSION}-py3
(Triton Server ${TRITON_SERVER_VERSION}): HTTP/REST only, ONNX Runtime and Python backends only.
It is not NVIDIA software. See /opt/tritonserver/STAND-IN.md.

BANNER
if [[ $# -eq 0 ]]; then
  exec /bin/bash
else
  exec "$@"
fi
