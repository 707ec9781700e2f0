"""mediapipe.framework.formats.location_data_pb2's LocationData (see _messages.py)."""
from ._messages import FILES, message_class

DESCRIPTOR = FILES["mediapipe/framework/formats/location_data.proto"]
LocationData = message_class("mediapipe.LocationData")
