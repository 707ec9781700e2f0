"""NormalizedLandmark and Category as mediapipe's Tasks containers (dataclasses, fields
Optional with None defaults)."""
from __future__ import annotations

import dataclasses
from typing import Optional


@dataclasses.dataclass
class NormalizedLandmark:
    """A landmark: x, y normalised to the image, z in units of the image width (smaller is
    nearer). The face landmarker reports visibility and presence as 0.0, as mediapipe does."""
    x: Optional[float] = None
    y: Optional[float] = None
    z: Optional[float] = None
    visibility: Optional[float] = None
    presence: Optional[float] = None


@dataclasses.dataclass
class Category:
    """A scored category: index, score, display_name ('' for blendshapes), category_name."""
    index: Optional[int] = None
    score: Optional[float] = None
    display_name: Optional[str] = None
    category_name: Optional[str] = None
