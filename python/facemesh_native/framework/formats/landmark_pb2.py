"""mediapipe.framework.formats.landmark_pb2's messages (see _messages.py): Landmark,
LandmarkList, LandmarkListCollection, NormalizedLandmark, NormalizedLandmarkList,
NormalizedLandmarkListCollection."""
from ._messages import FILES, message_class

DESCRIPTOR = FILES["mediapipe/framework/formats/landmark.proto"]
Landmark = message_class("mediapipe.Landmark")
LandmarkList = message_class("mediapipe.LandmarkList")
LandmarkListCollection = message_class("mediapipe.LandmarkListCollection")
NormalizedLandmark = message_class("mediapipe.NormalizedLandmark")
NormalizedLandmarkList = message_class("mediapipe.NormalizedLandmarkList")
NormalizedLandmarkListCollection = message_class("mediapipe.NormalizedLandmarkListCollection")
