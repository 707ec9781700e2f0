// Tests of fmn::FaceMesh (graph/face_mesh.h) on synthesized frames: face-free frames of many
// sizes and layouts, frame and option validation, static versus tracking mode, and the
// one-batch landmark inference. With min_detection_confidence = min_tracking_confidence = 0
// every frame yields max_num_faces "faces" (the detector's best anchors), which lets the
// layout, mode and batching checks run without a face image: the same pixels given as RGB,
// RGBA or with padded rows must give identical results.
#define FMN_TEST_MAIN
#include "testing.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "graph/face_mesh.h"
#include "graph/graph_config.h"

using fmn::FaceMesh;
using fmn::FaceMeshOptions;
using fmn::FaceMeshResult;
using fmn::ImageFrame;

namespace {

FaceMeshOptions base_options() {
  FaceMeshOptions o;
  o.models_dir = std::string(FMN_SOURCE_DIR) + "/third_party/mediapipe";
  o.graphs_dir = std::string(FMN_SOURCE_DIR) + "/graphs";
  return o;
}

// An owned RGB or RGBA image with optional row padding; pad bytes are filled with `pad_value`.
struct Image {
  std::vector<uint8_t> bytes;
  ImageFrame frame;
};

Image make_image(int w, int h, int channels, int pad, uint8_t pad_value,
                 const std::vector<uint8_t>& rgb /* w*h*3, row-major */) {
  Image im;
  const int64_t stride = static_cast<int64_t>(w) * channels + pad;
  im.bytes.assign(static_cast<size_t>(stride * h), pad_value);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &im.bytes[static_cast<size_t>(y * stride + x * channels)];
      const uint8_t* s = &rgb[static_cast<size_t>((y * w + x) * 3)];
      p[0] = s[0];
      p[1] = s[1];
      p[2] = s[2];
      if (channels == 4) p[3] = static_cast<uint8_t>(255 - s[0]);  // alpha must be ignored
    }
  im.frame.data = im.bytes.data();
  im.frame.width = w;
  im.frame.height = h;
  im.frame.row_stride = stride;
  im.frame.pixel_stride = channels;
  return im;
}

std::vector<uint8_t> gray(int w, int h, uint8_t v) { return std::vector<uint8_t>(static_cast<size_t>(w) * h * 3, v); }

std::vector<uint8_t> noise(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(static_cast<size_t>(w) * h * 3);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// A smooth pattern: blobs and gradients (plausible image statistics, no face).
std::vector<uint8_t> pattern(int w, int h) {
  std::vector<uint8_t> v(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float fx = static_cast<float>(x) / w, fy = static_cast<float>(y) / h;
      uint8_t* p = &v[static_cast<size_t>((y * w + x) * 3)];
      p[0] = static_cast<uint8_t>(255 * fx);
      p[1] = static_cast<uint8_t>(128 + 100 * std::sin(12 * fx) * std::cos(9 * fy));
      p[2] = static_cast<uint8_t>(255 * fy);
    }
  return v;
}

void check_consistent(const FaceMeshResult& r, int landmarks, int max_faces) {
  CHECK(r.faces.size() == r.rects.size());
  CHECK(r.faces.size() == r.scores.size());
  CHECK(static_cast<int>(r.faces.size()) <= max_faces);
  CHECK(static_cast<int>(r.detections.size()) <= max_faces);
  for (const auto& f : r.faces) CHECK(static_cast<int>(f.size()) == landmarks);
  for (const auto& f : r.faces)
    for (const auto& l : f) CHECK(std::isfinite(l.x) && std::isfinite(l.y) && std::isfinite(l.z));
}

bool same_result(const FaceMeshResult& a, const FaceMeshResult& b) {
  if (a.faces.size() != b.faces.size() || a.detections.size() != b.detections.size() ||
      a.detector_ran != b.detector_ran)
    return false;
  for (size_t i = 0; i < a.faces.size(); ++i) {
    if (a.faces[i].size() != b.faces[i].size() || a.scores[i] != b.scores[i]) return false;
    for (size_t j = 0; j < a.faces[i].size(); ++j)
      if (a.faces[i][j].x != b.faces[i][j].x || a.faces[i][j].y != b.faces[i][j].y ||
          a.faces[i][j].z != b.faces[i][j].z)
        return false;
    const auto& ra = a.rects[i];
    const auto& rb = b.rects[i];
    if (ra.x_center != rb.x_center || ra.y_center != rb.y_center || ra.width != rb.width ||
        ra.height != rb.height || ra.rotation != rb.rotation)
      return false;
  }
  for (size_t i = 0; i < a.detections.size(); ++i)
    if (a.detections[i].score != b.detections[i].score || a.detections[i].xmin != b.detections[i].xmin ||
        a.detections[i].ymin != b.detections[i].ymin)
      return false;
  return true;
}

// Index in node_stats() of the Inference node running `model` (the graph file's node order).
int inference_node_index(const std::string& graph_file, const std::string& model) {
  const fmn::GraphConfig g = fmn::load_graph_config(graph_file);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].calculator == "Inference" && g.nodes[i].options.get_string("model") == model)
      return static_cast<int>(i);
  return -1;
}

template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (...) {
    return "<other exception>";
  }
  return "<no exception>";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(face_free_frames_give_no_face) {
  FaceMesh mesh(base_options());
  FaceMeshResult r;
  int64_t ts = 0;
  // Uniform gray, several levels and sizes, twice each (tracking mode).
  for (uint8_t level : {0, 128, 255}) {
    for (int rep = 0; rep < 2; ++rep) {
      Image im = make_image(320, 240, 3, 0, 0, gray(320, 240, level));
      mesh.process(im.frame, ts += 33000, &r);
      CHECK(r.faces.empty());
      CHECK(r.detections.empty());
      CHECK(r.detector_ran);  // nothing tracked: the detector runs every frame
      check_consistent(r, 468, 1);
    }
  }
  // Noise and a smooth pattern.
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    Image im = make_image(257, 193, 3, 0, 0, noise(257, 193, seed));
    mesh.process(im.frame, ts += 33000, &r);
    CHECK(r.faces.empty());
    CHECK(r.detector_ran);
  }
  Image pat = make_image(400, 300, 3, 0, 0, pattern(400, 300));
  mesh.process(pat.frame, ts += 33000, &r);
  CHECK(r.faces.empty());
}

TEST(tiny_and_odd_frames_never_crash) {
  FaceMeshOptions o = base_options();
  o.max_num_faces = 2;
  FaceMesh mesh(o);
  FaceMeshResult r;
  int64_t ts = 0;
  const int sizes[][2] = {{1, 1}, {1, 300}, {300, 1}, {2, 2}, {3, 1000}, {1000, 3}, {17, 33}, {129, 127}};
  uint32_t seed = 100;
  for (const auto& s : sizes) {
    const int w = s[0], h = s[1];
    for (int channels : {3, 4}) {
      for (int pad : {0, 5}) {
        for (bool use_noise : {false, true}) {
          const std::vector<uint8_t> rgb = use_noise ? noise(w, h, ++seed) : gray(w, h, 90);
          Image im = make_image(w, h, channels, pad, 0xAB, rgb);
          mesh.process(im.frame, ts += 1000, &r);
          check_consistent(r, 468, 2);
          if (!use_noise) CHECK(r.faces.empty());
        }
      }
    }
  }
}

TEST(invalid_frames_throw_invalid_argument) {
  FaceMesh mesh(base_options());
  FaceMeshResult r;
  std::vector<uint8_t> buf(64 * 64 * 4, 77);
  auto frame = [&](int w, int h, int64_t row_stride, int pixel_stride, bool null_data = false) {
    ImageFrame f;
    f.data = null_data ? nullptr : buf.data();
    f.width = w;
    f.height = h;
    f.row_stride = row_stride;
    f.pixel_stride = pixel_stride;
    return f;
  };
  const ImageFrame bad[] = {
      frame(8, 8, 24, 3, true),        // null data
      frame(0, 8, 24, 3),              // zero width
      frame(8, 0, 24, 3),              // zero height
      frame(-8, 8, 24, 3),             // negative width
      frame(8, 8, 23, 3),              // row_stride < width * 3
      frame(8, 8, 31, 4),              // row_stride < width * 4
      frame(8, 8, -24, 3),             // negative stride
      frame(8, 8, 16, 2),              // two channels
      frame(8, 8, 40, 5),              // five channels
      frame(8, 8, 8, 1),               // one channel
      frame(40000, 1, 120000, 3),      // too wide
      frame(8, 8, int64_t{1} << 31, 3),  // absurd stride
  };
  int i = 0;
  for (const ImageFrame& f : bad) {
    bool threw = false;
    try {
      mesh.process(f, 0, &r);
    } catch (const std::invalid_argument&) {
      threw = true;
    } catch (const std::exception& e) {
      fmn_test::fail(__FILE__, __LINE__, "case " + std::to_string(i) + " threw the wrong type: " + e.what());
    }
    if (!threw) fmn_test::fail(__FILE__, __LINE__, "invalid frame case " + std::to_string(i) + " accepted");
    ++i;
  }
  // The mesh still works after rejected frames.
  mesh.process(frame(64, 64, 64 * 3, 3), 1, &r);
  CHECK(r.faces.empty() && r.detector_ran);
}

TEST(bad_options_throw_with_clear_messages) {
  auto with = [](auto edit) {
    FaceMeshOptions o = base_options();
    edit(o);
    return o;
  };
  using IA = std::invalid_argument;
  std::string m;
  m = message_of<IA>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.max_num_faces = 0; })); });
  CHECK(contains(m, "max_num_faces"));
  m = message_of<IA>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.max_num_faces = 65; })); });
  CHECK(contains(m, "max_num_faces"));
  m = message_of<IA>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.min_detection_confidence = 1.5f; })); });
  CHECK(contains(m, "min_detection_confidence"));
  m = message_of<IA>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.min_detection_confidence = -0.1f; })); });
  CHECK(contains(m, "min_detection_confidence"));
  m = message_of<IA>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.min_tracking_confidence = 1.5f; })); });
  CHECK(contains(m, "min_tracking_confidence"));
  m = message_of<IA>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.min_tracking_confidence = std::nanf(""); })); });
  CHECK(contains(m, "min_tracking_confidence"));
  m = message_of<IA>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.num_threads = 0; })); });
  CHECK(contains(m, "num_threads"));
  m = message_of<IA>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.device = "tpu"; })); });
  CHECK(contains(m, "tpu"));
  m = message_of<IA>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.device = ""; })); });
  CHECK(m != "<no exception>" && m != "<other exception>");
  // A GL device that cannot exist: a runtime_error naming the device, not a crash.
  m = message_of<std::runtime_error>([&] { FaceMesh f(with([](FaceMeshOptions& o) { o.device = "gl:99"; })); });
  CHECK(contains(m, "gl:99"));
  // Missing files: the error names the path.
  m = message_of<std::runtime_error>(
      [&] { FaceMesh f(with([](FaceMeshOptions& o) { o.graphs_dir = "/nonexistent/graphs"; })); });
  CHECK(contains(m, "/nonexistent/graphs"));
  m = message_of<std::runtime_error>(
      [&] { FaceMesh f(with([](FaceMeshOptions& o) { o.models_dir = "/nonexistent/models"; })); });
  CHECK(contains(m, "/nonexistent/models"));
}

namespace {

FaceMeshOptions forced_faces(int max_faces, bool static_mode) {
  FaceMeshOptions o = base_options();
  o.max_num_faces = max_faces;
  o.min_detection_confidence = 0.0f;
  o.min_tracking_confidence = 0.0f;
  o.static_image_mode = static_mode;
  return o;
}

}  // namespace

TEST(layouts_give_identical_results) {
  // The same pixels as RGB, RGBA and with padded rows give bit-identical results.
  const int w = 160, h = 120;
  const std::vector<uint8_t> rgb = pattern(w, h);
  std::vector<FaceMeshResult> results;
  for (int channels : {3, 4}) {
    for (int pad : {0, 13}) {
      FaceMesh mesh(forced_faces(2, true));
      Image im = make_image(w, h, channels, pad, 0xEE, rgb);
      FaceMeshResult r;
      mesh.process(im.frame, 0, &r);
      check_consistent(r, 468, 2);
      results.push_back(r);
    }
  }
  CHECK(results[0].faces.size() == 2);  // the thresholds at 0 keep the detector's best 2
  for (size_t i = 1; i < results.size(); ++i) CHECK(same_result(results[0], results[i]));
  // The comparison is not vacuous: other pixels give another result.
  FaceMesh mesh(forced_faces(2, true));
  Image other = make_image(w, h, 3, 0, 0, noise(w, h, 7));
  FaceMeshResult r;
  mesh.process(other.frame, 0, &r);
  CHECK(!same_result(results[0], r));
}

TEST(static_mode_runs_detector_every_frame) {
  const int w = 160, h = 120;
  Image im = make_image(w, h, 3, 0, 0, pattern(w, h));
  FaceMeshResult r;
  // Tracking mode: once max_num_faces faces are tracked, the detector stops running.
  {
    FaceMesh mesh(forced_faces(2, false));
    std::vector<int> ran;
    for (int f = 0; f < 3; ++f) {
      mesh.process(im.frame, f * 33000, &r);
      ran.push_back(r.detector_ran);
      CHECK(r.faces.size() == 2);
      CHECK(r.detections.size() == (r.detector_ran ? 2u : 0u));
    }
    CHECK((ran == std::vector<int>{1, 0, 0}));
    mesh.reset();
    mesh.process(im.frame, 4 * 33000, &r);
    CHECK(r.detector_ran);
  }
  // Static mode: every frame.
  {
    FaceMesh mesh(forced_faces(2, true));
    FaceMeshResult first;
    for (int f = 0; f < 3; ++f) {
      mesh.process(im.frame, f * 33000, &r);
      CHECK(r.detector_ran);
      CHECK(r.faces.size() == 2);
      CHECK(r.detections.size() == 2);
      if (f == 0) first = r;
      else CHECK(same_result(first, r));  // no state carries between frames
    }
  }
}

TEST(landmark_model_runs_once_per_frame_for_all_faces) {
  const int w = 160, h = 120;
  Image im = make_image(w, h, 3, 0, 0, pattern(w, h));
  for (bool refine : {false, true}) {
    FaceMeshOptions o = forced_faces(3, true);
    o.refine_landmarks = refine;
    FaceMesh mesh(o);
    const std::string model = refine ? "face_landmark_with_attention" : "face_landmark";
    const int idx = inference_node_index(mesh.graph_file(), model);
    const int det_idx = inference_node_index(mesh.graph_file(), "face_detection_short_range");
    CHECK(idx >= 0 && det_idx >= 0);
    if (idx < 0 || det_idx < 0) continue;
    FaceMeshResult r;
    const int frames = 3;
    for (int f = 0; f < frames; ++f) {
      mesh.process(im.frame, f * 33000, &r);
      CHECK(r.faces.size() == 3);
      check_consistent(r, refine ? 478 : 468, 3);
    }
    const auto stats = mesh.node_stats();
    CHECK(static_cast<int>(stats.size()) > idx);
    if (static_cast<int>(stats.size()) <= idx) continue;
    CHECK(std::get<1>(stats[idx]) == frames);      // not frames x faces
    CHECK(std::get<1>(stats[det_idx]) == frames);  // static mode: the detector every frame
    CHECK(std::get<2>(stats[idx]) > 0.0);
    CHECK(mesh.device_report().count("inference." + model) == 1);
  }
}

// "auto" picks a hardware GPU or the CPU, never a software rasterizer, and says why; "gpu"
// either gets a hardware GPU or refuses with a reason. On a machine whose only GL is Mesa's
// llvmpipe (as in CI) auto runs on the CPU and gpu throws.
TEST(auto_and_gpu_never_pick_a_software_rasterizer) {
  FaceMeshOptions o = base_options();
  o.device = "auto";
  FaceMesh mesh(o);
  const auto& rep = mesh.device_report();
  CHECK(rep.count("device") == 1);
  const std::string chosen = rep.count("device") ? rep.at("device") : "";
  CHECK(chosen.rfind("cpu (", 0) == 0 || chosen.rfind("gl:", 0) == 0);
  for (const auto& kv : rep)
    if (kv.first.rfind("inference.", 0) == 0) {
      std::string v = kv.second;
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      CHECK(v.find("llvmpipe") == std::string::npos && v.find("swiftshader") == std::string::npos);
    }
  o.device = "gpu";
  if (chosen.rfind("cpu (", 0) == 0) {
    bool threw = false;
    try {
      FaceMesh gpu(o);
    } catch (const std::runtime_error& e) {
      threw = std::string(e.what()).find("gpu") != std::string::npos;
    }
    CHECK(threw);
  }
}
