#!/usr/bin/env bash
# Creates (or completes) the Python 3.11 virtual environment in which
# tools/make_references.py regenerates tests/data/. It holds MediaPipe 0.10.21, the last
# release for CPython 3.11 that ships the legacy `mediapipe.solutions.face_mesh` API.
#
# Usage: tools/make_reference_venv.sh [VENV_DIR]      (default: .venv-ref in the repository root)
# Then:  VENV_DIR/bin/python tools/make_references.py
#
# Idempotent: an existing environment is reused and pip only installs what is missing.
# Needs python3.11 on PATH (or PYTHON=/path/to/python3.11) and access to a package index.
# The parity tests themselves never need this environment: they read tests/data/.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-${repo_root}/.venv-ref}"
python="${PYTHON:-python3.11}"

if ! command -v "${python}" >/dev/null 2>&1; then
  echo "error: ${python} not found; set PYTHON to a CPython 3.11 interpreter" >&2
  exit 1
fi

if [[ ! -x "${venv}/bin/python" ]]; then
  "${python}" -m venv "${venv}"
fi

version="$("${venv}/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [[ "${version}" != "3.11" ]]; then
  echo "error: ${venv} uses Python ${version}; mediapipe==0.10.21 needs 3.11" >&2
  exit 1
fi

# numpy<2 because the 0.10.21 bindings are built against numpy 1.x. The other pins are the
# versions tests/data/ was generated with: OpenCV's version matters because the tests
# regenerate the synthetic video frames with cv2.warpAffine and check them by hash;
# matplotlib ships the grace_hopper.jpg test image, scikit-image the others.
"${venv}/bin/python" -m pip install --disable-pip-version-check \
  "mediapipe==0.10.21" \
  "ai-edge-litert==2.3.0" \
  "numpy==1.26.4" \
  "opencv-python==4.11.0.86" \
  "opencv-contrib-python==4.11.0.86" \
  "scikit-image==0.26.0" \
  "matplotlib==3.11.2"

"${venv}/bin/python" - <<'PY'
import cv2, matplotlib, mediapipe, numpy, skimage
from ai_edge_litert import interpreter
from mediapipe.python.solutions import face_mesh
print("reference venv ready: mediapipe", mediapipe.__version__, "numpy", numpy.__version__,
      "opencv", cv2.__version__, "scikit-image", skimage.__version__,
      "matplotlib", matplotlib.__version__)
PY
