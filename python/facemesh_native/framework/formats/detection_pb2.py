"""mediapipe.framework.formats.detection_pb2's Detection and DetectionList (see
_messages.py)."""
from ._messages import FILES, message_class

DESCRIPTOR = FILES["mediapipe/framework/formats/detection.proto"]
Detection = message_class("mediapipe.Detection")
DetectionList = message_class("mediapipe.DetectionList")
