// facemesh_demo: runs fmn::FaceMesh on an image, a video file or a camera and writes the
// input annotated with the mesh (landmark dots and contour edges; iris rings with --refine).
//
//   facemesh_demo INPUT [options]          an image (static mode) or a video (tracking)
//   facemesh_demo --camera 0 [options]     a camera (tracking), --max-frames frames (default 300)
//
// Options: --out PATH, --json PATH, --device NAME (default auto), --refine, --max-faces N,
//   --threads N, --max-frames N, --graphs DIR, --models DIR, --connections FILE.
// Defaults for --graphs / --models are the source tree's graphs/ and third_party/mediapipe/
// (compile definitions FMN_DEMO_GRAPHS_DIR / FMN_DEMO_MODELS_DIR), so the binary runs the same
// graph files and models as the Python package. --connections defaults to
// <models>/face_mesh_connections.json (MediaPipe's connection sets as data).
//
// Output: per frame, one line "frame I: F face(s), latency L ms, device D" on stdout; at the
// end the device report (which backend ran each model). --json writes
//   {"input", "kind", "device", "device_report", "frames": [{"index", "latency_ms",
//    "faces": [{"score", "rect": [xc, yc, w, h, rot], "landmarks": [[x, y, z], ...]}]}]}
// with MediaPipe's normalised coordinates (x / width, y / height, z in units of width).
// Exit status: 0 ok, 2 bad arguments or unreadable/unwritable files, 1 pipeline failure.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "graph/face_mesh.h"

#ifndef FMN_DEMO_GRAPHS_DIR
#define FMN_DEMO_GRAPHS_DIR "graphs"
#endif
#ifndef FMN_DEMO_MODELS_DIR
#define FMN_DEMO_MODELS_DIR "third_party/mediapipe"
#endif

namespace {

// User-facing failures, exit status 2: bad arguments (the usage text follows the message) and
// unreadable or unwritable files.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Edge = std::pair<int, int>;

struct Args {
  std::string input;
  int camera = -1;
  std::string out, json;
  std::string device = "auto";
  bool refine = false;
  int max_faces = 1;
  int threads = 1;
  long max_frames = -1;
  std::string graphs = FMN_DEMO_GRAPHS_DIR;
  std::string models = FMN_DEMO_MODELS_DIR;
  std::string connections;
};

const char kUsage[] =
    "usage: facemesh_demo (INPUT | --camera N) [--out PATH] [--json PATH] [--device auto|cpu|gpu|gl|gl:N]\n"
    "                     [--refine] [--max-faces N] [--threads N] [--max-frames N]\n"
    "                     [--graphs DIR] [--models DIR] [--connections FILE]\n";

int parse_int(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < -1000000 || x > 1000000)
    throw UsageError(flag + " expects an integer, got '" + v + "'");
  return static_cast<int>(x);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(s + " needs a value");
      return argv[++i];
    };
    if (s == "-h" || s == "--help") {
      std::cout << kUsage;
      std::exit(0);
    } else if (s == "--camera") {
      a.camera = parse_int(s, value());
      if (a.camera < 0) throw UsageError("--camera expects an index >= 0");
    } else if (s == "--out") {
      a.out = value();
    } else if (s == "--json") {
      a.json = value();
    } else if (s == "--device") {
      a.device = value();
    } else if (s == "--refine") {
      a.refine = true;
    } else if (s == "--max-faces") {
      a.max_faces = parse_int(s, value());
    } else if (s == "--threads") {
      a.threads = parse_int(s, value());
    } else if (s == "--max-frames") {
      a.max_frames = parse_int(s, value());
    } else if (s == "--graphs") {
      a.graphs = value();
    } else if (s == "--models") {
      a.models = value();
    } else if (s == "--connections") {
      a.connections = value();
    } else if (!s.empty() && s[0] == '-') {
      throw UsageError("unknown option " + s);
    } else if (a.input.empty()) {
      a.input = s;
    } else {
      throw UsageError("more than one input: " + a.input + ", " + s);
    }
  }
  if (a.input.empty() == (a.camera < 0)) throw UsageError("give exactly one of INPUT or --camera N");
  if (a.connections.empty()) a.connections = a.models + "/face_mesh_connections.json";
  return a;
}

std::string lower_ext(const std::string& path) {
  size_t slash = path.find_last_of("/\\");
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string e = path.substr(dot);
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

std::string stem(const std::string& path) {
  size_t slash = path.find_last_of("/\\");
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

bool is_image_ext(const std::string& e) {
  static const char* kExts[] = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff",
                                ".ppm", ".pgm", ".pbm"};
  for (const char* x : kExts)
    if (e == x) return true;
  return false;
}

bool is_video_ext(const std::string& e) {
  static const char* kExts[] = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg",
                                ".mpeg", ".wmv", ".gif"};
  for (const char* x : kExts)
    if (e == x) return true;
  return false;
}

// Reads the edge list named `name` ("FACEMESH_CONTOURS") from the connections JSON
// ({"sets": {"NAME": [[a, b], ...], ...}}). Returns an empty list when the file or the set is
// missing (the demo then draws dots only).
std::vector<Edge> load_edges(const std::string& path, const std::string& name) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  size_t pos = text.find("\"" + name + "\"");
  if (pos == std::string::npos) return {};
  pos = text.find('[', pos);
  if (pos == std::string::npos) return {};
  std::vector<Edge> edges;
  std::vector<int> pair;
  int depth = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    char c = text[i];
    if (c == '[') {
      ++depth;
      pair.clear();
    } else if (c == ']') {
      if (depth == 2) {
        if (pair.size() != 2) throw std::runtime_error(path + ": malformed edge in " + name);
        edges.emplace_back(pair[0], pair[1]);
      }
      if (--depth == 0) break;
    } else if (c >= '0' && c <= '9') {
      size_t j = i;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      pair.push_back(std::atoi(text.substr(i, j - i).c_str()));
      i = j - 1;
    }
  }
  return edges;
}

struct Drawing {
  std::vector<Edge> contours, irises;
};

// Normalised landmark -> pixel, as MediaPipe's drawing_utils: floor(x * W) clipped to W-1;
// false for a point outside [0, 1] (with a small tolerance for round-off at the ends).
bool to_pixel(const fmn::Landmark& l, int w, int h, cv::Point* p) {
  auto valid = [](float v) { return v >= -1e-9f && v <= 1.0f + 1e-9f; };
  if (!valid(l.x) || !valid(l.y)) return false;
  p->x = std::min(static_cast<int>(std::floor(l.x * w)), w - 1);
  p->y = std::min(static_cast<int>(std::floor(l.y * h)), h - 1);
  p->x = std::max(p->x, 0);
  p->y = std::max(p->y, 0);
  return true;
}

// Draws one face onto a BGR image: contour edges, iris edges (478-point meshes), then a dot
// per landmark.
void draw_face(cv::Mat& bgr, const fmn::LandmarkList& face, const Drawing& d) {
  const int w = bgr.cols, h = bgr.rows;
  std::vector<cv::Point> px(face.size());
  std::vector<char> ok(face.size());
  for (size_t i = 0; i < face.size(); ++i) ok[i] = to_pixel(face[i], w, h, &px[i]);
  auto lines = [&](const std::vector<Edge>& edges, const cv::Scalar& color) {
    for (const Edge& e : edges) {
      if (e.first < 0 || e.second < 0 || e.first >= static_cast<int>(face.size()) ||
          e.second >= static_cast<int>(face.size()))
        continue;  // e.g. iris edges on a 468-point mesh
      if (ok[e.first] && ok[e.second]) cv::line(bgr, px[e.first], px[e.second], color, 1, cv::LINE_AA);
    }
  };
  lines(d.contours, cv::Scalar(235, 235, 235));
  lines(d.irises, cv::Scalar(170, 190, 20));
  for (size_t i = 0; i < face.size(); ++i)
    if (ok[i]) cv::circle(bgr, px[i], 1, cv::Scalar(40, 140, 250), -1);
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else {
      o += c;
    }
  }
  return o;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// The backends that ran the graph's models ("cpu", "cpu+gl"); the requested device when the
// graph reported none.
std::string device_used(const fmn::FaceMesh& mesh) {
  std::set<std::string> used;
  for (const auto& kv : mesh.device_report())
    if (kv.first.rfind("inference.", 0) == 0) used.insert(kv.second);
  if (used.empty()) return mesh.options().device;
  std::string s;
  for (const std::string& d : used) s += (s.empty() ? "" : "+") + d;
  return s;
}

std::string report_text(const std::map<std::string, std::string>& report) {
  std::string s;
  for (const auto& kv : report) s += (s.empty() ? "" : ", ") + kv.first + "=" + kv.second;
  return s;
}

// Streams the --json document frame by frame, so long videos need no memory for it.
class JsonWriter {
 public:
  JsonWriter(const std::string& path, const std::string& input, const char* kind) : path_(path) {
    if (path.empty()) return;
    f_.open(path, std::ios::binary);
    if (!f_) throw FileError("cannot write " + path);
    f_ << "{\"input\": \"" << json_escape(input) << "\", \"kind\": \"" << kind
       << "\", \"coordinates\": \"normalised: x / width, y / height, z in units of width\""
       << ", \"frames\": [";
  }
  void frame(long index, double latency_ms, const fmn::FaceMeshResult& r) {
    if (!f_.is_open()) return;
    f_ << (index ? ",\n" : "\n") << "{\"index\": " << index << ", \"latency_ms\": " << num(latency_ms)
       << ", \"faces\": [";
    for (size_t k = 0; k < r.faces.size(); ++k) {
      f_ << (k ? ", " : "") << "{\"score\": " << num(k < r.scores.size() ? r.scores[k] : NAN);
      if (k < r.rects.size()) {
        const fmn::NormalizedRect& q = r.rects[k];
        f_ << ", \"rect\": [" << num(q.x_center) << ", " << num(q.y_center) << ", " << num(q.width)
           << ", " << num(q.height) << ", " << num(q.rotation) << "]";
      }
      f_ << ", \"landmarks\": [";
      for (size_t j = 0; j < r.faces[k].size(); ++j) {
        const fmn::Landmark& l = r.faces[k][j];
        f_ << (j ? ", " : "") << "[" << num(l.x) << ", " << num(l.y) << ", " << num(l.z) << "]";
      }
      f_ << "]}";
    }
    f_ << "]}";
  }
  void finish(const std::string& device, const std::map<std::string, std::string>& report) {
    if (!f_.is_open()) return;
    f_ << "\n], \"device\": \"" << json_escape(device) << "\", \"device_report\": {";
    bool first = true;
    for (const auto& kv : report) {
      f_ << (first ? "" : ", ") << "\"" << json_escape(kv.first) << "\": \"" << json_escape(kv.second) << "\"";
      first = false;
    }
    f_ << "}}\n";
    f_.close();
    if (!f_) throw FileError("cannot write " + path_);
    std::cout << "wrote " << path_ << "\n";
  }

 private:
  std::string path_;
  std::ofstream f_;
};

// Runs one frame: BGR in, annotated BGR out; prints the frame line, returns the latency in ms.
double run_frame(fmn::FaceMesh& mesh, const cv::Mat& bgr, cv::Mat& rgb, cv::Mat& annotated,
                 int64_t timestamp_us, long index, const Drawing& drawing, fmn::FaceMeshResult& result) {
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  fmn::ImageFrame frame;
  frame.data = rgb.ptr<uint8_t>();
  frame.width = rgb.cols;
  frame.height = rgb.rows;
  frame.row_stride = static_cast<int64_t>(rgb.step[0]);
  frame.pixel_stride = 3;
  const auto t0 = std::chrono::steady_clock::now();
  mesh.process(frame, timestamp_us, &result);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  bgr.copyTo(annotated);
  for (const fmn::LandmarkList& face : result.faces) draw_face(annotated, face, drawing);
  std::printf("frame %ld: %zu face(s), latency %.2f ms, device %s\n", index, result.faces.size(), ms,
              device_used(mesh).c_str());
  std::fflush(stdout);
  return ms;
}

int run(const Args& a) {
  Drawing drawing;
  drawing.contours = load_edges(a.connections, "FACEMESH_CONTOURS");
  if (a.refine) drawing.irises = load_edges(a.connections, "FACEMESH_IRISES");
  if (drawing.contours.empty())
    std::fprintf(stderr, "warning: no contour edges in %s; drawing landmark dots only\n",
                 a.connections.c_str());

  bool video = a.camera >= 0;
  cv::Mat image;
  if (!video) {
    std::ifstream probe(a.input, std::ios::binary);
    if (!probe) throw FileError("cannot open " + a.input + " (no such file or not readable)");
    const std::string ext = lower_ext(a.input);
    if (is_video_ext(ext)) {
      video = true;
    } else {
      image = cv::imread(a.input, cv::IMREAD_COLOR);
      if (image.empty()) {
        if (is_image_ext(ext)) throw FileError("cannot read " + a.input + " as an image");
        video = true;
      }
    }
  }

  fmn::FaceMeshOptions o;
  o.static_image_mode = !video;
  o.max_num_faces = a.max_faces;
  o.refine_landmarks = a.refine;
  o.device = a.device;
  o.num_threads = a.threads;
  o.graphs_dir = a.graphs;
  o.models_dir = a.models;
  fmn::FaceMesh mesh(o);
  std::printf("graph: %s\n", mesh.graph_file().c_str());

  const std::string input_name = a.camera >= 0 ? "camera " + std::to_string(a.camera) : a.input;
  JsonWriter json(a.json, input_name, video ? "video" : "image");
  fmn::FaceMeshResult result;
  cv::Mat rgb, annotated;

  if (!video) {
    const std::string out = a.out.empty() ? stem(a.input) + "_mesh.png" : a.out;
    const double ms = run_frame(mesh, image, rgb, annotated, 0, 0, drawing, result);
    json.frame(0, ms, result);
    bool written = false;
    try {
      written = cv::imwrite(out, annotated);
    } catch (const cv::Exception&) {
      written = false;
    }
    if (!written) throw FileError("cannot write " + out + " (unknown extension or unwritable folder)");
    std::printf("device: %s (%s); wrote %s\n", device_used(mesh).c_str(),
                report_text(mesh.device_report()).c_str(), out.c_str());
    json.finish(device_used(mesh), mesh.device_report());
    return 0;
  }

  cv::VideoCapture cap;
  if (a.camera >= 0)
    cap.open(a.camera);
  else
    cap.open(a.input);
  if (!cap.isOpened())
    throw FileError(a.camera >= 0 ? "cannot open camera " + std::to_string(a.camera)
                                   : "cannot read " + a.input + " as an image or a video");
  const long max_frames = a.max_frames >= 0 ? a.max_frames : (a.camera >= 0 ? 300 : -1);
  double fps = cap.get(cv::CAP_PROP_FPS);
  if (!(fps > 0 && fps < 1000)) fps = 30.0;
  const std::string out =
      a.out.empty() ? (a.camera >= 0 ? std::string("camera") : stem(a.input)) + "_mesh.mp4" : a.out;
  cv::VideoWriter writer;
  cv::Mat bgr;
  std::vector<double> latencies;
  const auto start = std::chrono::steady_clock::now();
  for (long index = 0; max_frames < 0 || index < max_frames; ++index) {
    if (!cap.read(bgr) || bgr.empty()) break;
    // Video files: the frame's media time; cameras: wall time since start. Strictly increasing.
    int64_t ts = a.camera >= 0
                     ? std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count()
                     : static_cast<int64_t>(std::llround(index * 1e6 / fps));
    const double ms = run_frame(mesh, bgr, rgb, annotated, ts, index, drawing, result);
    latencies.push_back(ms);
    json.frame(index, ms, result);
    if (!writer.isOpened()) {
      writer.open(out, cv::VideoWriter::fourcc('m', 'p', '4', 'v'), fps, annotated.size());
      if (!writer.isOpened()) throw FileError("cannot write a video to " + out);
    }
    writer.write(annotated);
  }
  if (latencies.empty()) throw FileError(input_name + " has no readable frames");
  writer.release();
  std::vector<double> sorted = latencies;
  std::sort(sorted.begin(), sorted.end());
  double mean = 0;
  for (double v : latencies) mean += v;
  mean /= latencies.size();
  std::printf("device: %s (%s); %zu frames, latency mean %.2f ms, median %.2f ms; wrote %s\n",
              device_used(mesh).c_str(), report_text(mesh.device_report()).c_str(), latencies.size(),
              mean, sorted[sorted.size() / 2], out.c_str());
  json.finish(device_used(mesh), mesh.device_report());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "error: %s\n%s", e.what(), kUsage);
    return 2;
  } catch (const FileError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
