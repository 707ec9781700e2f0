"""mediapipe.framework counterparts: `formats` holds mediapipe's landmark, location-data and
detection protobuf messages (needs the optional `protobuf` package)."""
