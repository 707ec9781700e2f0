"""BaseOptions as mediapipe.tasks.python.BaseOptions, plus facemesh_native's `device`."""
from __future__ import annotations

import dataclasses
import enum
from typing import Optional


@dataclasses.dataclass
class BaseOptions:
    """Where the model bundle comes from and what runs it.

    Attributes:
      model_asset_path: a .task bundle (face_landmarker.task); with neither this nor
        model_asset_buffer, the bundle shipped with facemesh_native.
      model_asset_buffer: the bundle's bytes.
      delegate: Delegate.CPU or Delegate.GPU (mediapipe's); GPU means a hardware GPU (an
        error naming the reason if none is usable), or any GL device, software rasterizers
        included, when the environment sets FMN_ALLOW_SOFTWARE_GL=1.
      device: facemesh_native's device name, overriding delegate when given: "auto" (a
        hardware GPU if usable, else the CPU), "cpu", "gpu", "gl", "gl:N" (see
        facemesh_native.DEVICES). Without delegate and device: "auto".
    """

    class Delegate(enum.IntEnum):
        CPU = 0
        GPU = 1

    model_asset_path: Optional[str] = None
    model_asset_buffer: Optional[bytes] = None
    delegate: Optional[Delegate] = None
    device: Optional[str] = None

    def _device(self):
        """(device name, allow_software) this asks for."""
        from ..._devices import software_allowed  # noqa: PLC0415
        allow_software = software_allowed()
        if self.device is not None:
            return self.device, allow_software
        if self.delegate is None:
            return "auto", allow_software   # "auto" itself never picks a software rasterizer
        if self.delegate == BaseOptions.Delegate.GPU:
            return ("gl" if allow_software else "gpu"), allow_software
        if self.delegate == BaseOptions.Delegate.CPU:
            return "cpu", False
        raise ValueError(f"unknown delegate {self.delegate!r}; use BaseOptions.Delegate.CPU or GPU")
