"""Builds mediapipe's landmark, location_data and detection messages (package `mediapipe`,
proto2; the field names, numbers, types and labels of mediapipe 0.10.21's .proto files) in a
private descriptor pool, so that they never clash with mediapipe's own classes when both are
imported in one process. LocationData.BinaryMask leaves out mediapipe's `rasterization`
field (a message of another file that nothing here uses)."""
try:
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
except ImportError as err:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("facemesh_native.framework.formats builds protobuf messages and needs the "
                      "protobuf package: pip install protobuf") from err

_F = descriptor_pb2.FieldDescriptorProto
_OPT, _REP = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
_FLOAT, _INT32, _INT64, _STRING = _F.TYPE_FLOAT, _F.TYPE_INT32, _F.TYPE_INT64, _F.TYPE_STRING
_MSG, _ENUM = _F.TYPE_MESSAGE, _F.TYPE_ENUM


def _message(container, name, fields):
    m = container.add(name=name)
    for fname, number, label, ftype, *rest in fields:
        f = m.field.add(name=fname, number=number, label=label, type=ftype)
        if rest and rest[0]:
            f.type_name = rest[0]
        if len(rest) > 1 and rest[1]:
            f.options.packed = True
    return m


def _xyzvp():
    return [(n, i + 1, _OPT, _FLOAT) for i, n in enumerate(("x", "y", "z", "visibility",
                                                             "presence"))]


def _files():
    landmark = descriptor_pb2.FileDescriptorProto(
        name="mediapipe/framework/formats/landmark.proto", package="mediapipe", syntax="proto2")
    _message(landmark.message_type, "Landmark", _xyzvp())
    _message(landmark.message_type, "LandmarkList",
             [("landmark", 1, _REP, _MSG, ".mediapipe.Landmark")])
    _message(landmark.message_type, "LandmarkListCollection",
             [("landmark_list", 1, _REP, _MSG, ".mediapipe.LandmarkList")])
    _message(landmark.message_type, "NormalizedLandmark", _xyzvp())
    _message(landmark.message_type, "NormalizedLandmarkList",
             [("landmark", 1, _REP, _MSG, ".mediapipe.NormalizedLandmark")])
    _message(landmark.message_type, "NormalizedLandmarkListCollection",
             [("landmark_list", 1, _REP, _MSG, ".mediapipe.NormalizedLandmarkList")])

    location = descriptor_pb2.FileDescriptorProto(
        name="mediapipe/framework/formats/location_data.proto", package="mediapipe",
        syntax="proto2")
    loc = _message(location.message_type, "LocationData", [
        ("format", 1, _OPT, _ENUM, ".mediapipe.LocationData.Format"),
        ("bounding_box", 2, _OPT, _MSG, ".mediapipe.LocationData.BoundingBox"),
        ("relative_bounding_box", 3, _OPT, _MSG, ".mediapipe.LocationData.RelativeBoundingBox"),
        ("mask", 4, _OPT, _MSG, ".mediapipe.LocationData.BinaryMask"),
        ("relative_keypoints", 5, _REP, _MSG, ".mediapipe.LocationData.RelativeKeypoint")])
    fmt = loc.enum_type.add(name="Format")
    for n, v in (("GLOBAL", 0), ("BOUNDING_BOX", 1), ("RELATIVE_BOUNDING_BOX", 2), ("MASK", 3)):
        fmt.value.add(name=n, number=v)
    _message(loc.nested_type, "BoundingBox",
             [(n, i + 1, _OPT, _INT32) for i, n in enumerate(("xmin", "ymin", "width", "height"))])
    _message(loc.nested_type, "RelativeBoundingBox",
             [(n, i + 1, _OPT, _FLOAT) for i, n in enumerate(("xmin", "ymin", "width", "height"))])
    _message(loc.nested_type, "BinaryMask", [("width", 1, _OPT, _INT32),
                                             ("height", 2, _OPT, _INT32)])
    _message(loc.nested_type, "RelativeKeypoint", [
        ("x", 1, _OPT, _FLOAT), ("y", 2, _OPT, _FLOAT), ("keypoint_label", 3, _OPT, _STRING),
        ("score", 4, _OPT, _FLOAT)])

    detection = descriptor_pb2.FileDescriptorProto(
        name="mediapipe/framework/formats/detection.proto", package="mediapipe", syntax="proto2",
        dependency=[location.name])
    det = _message(detection.message_type, "Detection", [
        ("label", 1, _REP, _STRING), ("label_id", 2, _REP, _INT32, None, True),
        ("score", 3, _REP, _FLOAT, None, True),
        ("location_data", 4, _OPT, _MSG, ".mediapipe.LocationData"),
        ("feature_tag", 5, _OPT, _STRING), ("track_id", 6, _OPT, _STRING),
        ("detection_id", 7, _OPT, _INT64),
        ("associated_detections", 8, _REP, _MSG, ".mediapipe.Detection.AssociatedDetection"),
        ("display_name", 9, _REP, _STRING), ("timestamp_usec", 10, _OPT, _INT64)])
    _message(det.nested_type, "AssociatedDetection", [("id", 1, _OPT, _INT32),
                                                      ("confidence", 2, _OPT, _FLOAT)])
    _message(detection.message_type, "DetectionList",
             [("detection", 1, _REP, _MSG, ".mediapipe.Detection")])
    return landmark, location, detection


POOL = descriptor_pool.DescriptorPool()
FILES = {}
for _proto in _files():
    FILES[_proto.name] = POOL.Add(_proto)


def message_class(full_name: str):
    return message_factory.GetMessageClass(POOL.FindMessageTypeByName(full_name))
