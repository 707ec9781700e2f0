"""mediapipe.framework.formats' messages as real protobuf classes: landmark_pb2,
location_data_pb2 and detection_pb2, for code that builds or parses mediapipe's messages
(`text_format.Parse(..., landmark_pb2.NormalizedLandmarkList())`) and hands them to
facemesh_native.solutions.drawing_utils. Needs `pip install protobuf`."""
