// Detection decoding and non-max suppression, checked against independent re-implementations
// written here (double precision, different structure) and against MediaPipe 0.10.21's own
// NonMaxSuppressionCalculator output (/work/notes/geometry_refgen.py).
#define FMN_TEST_MAIN
#include "testing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "util/anchors.h"
#include "util/detection_decode.h"
#include "util/nms.h"

using namespace fmn;

namespace {

Detection FromRow(const float* r) {
  Detection d;
  d.score = r[0];
  d.xmin = r[1];
  d.ymin = r[2];
  d.width = r[3];
  d.height = r[4];
  for (int k = 0; k < 6; ++k) d.keypoints[k] = {r[5 + 2 * k], r[6 + 2 * k]};
  return d;
}

void CheckSame(const Detection& a, const Detection& b, double tol) {
  CHECK_NEAR(a.score, b.score, tol);
  CHECK_NEAR(a.xmin, b.xmin, tol);
  CHECK_NEAR(a.ymin, b.ymin, tol);
  CHECK_NEAR(a.width, b.width, tol);
  CHECK_NEAR(a.height, b.height, tol);
  for (int k = 0; k < 6; ++k) {
    CHECK_NEAR(a.keypoints[k].x, b.keypoints[k].x, tol);
    CHECK_NEAR(a.keypoints[k].y, b.keypoints[k].y, tol);
  }
}

double IoURef(const Detection& a, const Detection& b) {
  const double ix = std::min<double>(a.xmin + a.width, b.xmin + b.width) - std::max(a.xmin, b.xmin);
  const double iy =
      std::min<double>(a.ymin + a.height, b.ymin + b.height) - std::max(a.ymin, b.ymin);
  if (ix < 0 || iy < 0) return 0.0;
  const double inter = ix * iy;
  const double uni = double(a.width) * a.height + double(b.width) * b.height - inter;
  return uni > 0 ? inter / uni : 0.0;
}

// Brute force weighted NMS: repeatedly pick the best alive detection, average every alive
// detection overlapping it (itself included) with score weights, mark them dead.
std::vector<Detection> WeightedRef(const std::vector<Detection>& in, double thr) {
  std::vector<bool> alive(in.size(), true);
  std::vector<Detection> out;
  for (;;) {
    int best = -1;
    for (size_t i = 0; i < in.size(); ++i)
      if (alive[i] && (best < 0 || in[i].score > in[best].score)) best = int(i);
    if (best < 0) break;
    double w = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0, kp[12] = {};
    int removed = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      if (!alive[i] || IoURef(in[i], in[best]) <= thr) continue;
      const Detection& d = in[i];
      w += d.score;
      x0 += double(d.xmin) * d.score;
      y0 += double(d.ymin) * d.score;
      x1 += (double(d.xmin) + d.width) * d.score;
      y1 += (double(d.ymin) + d.height) * d.score;
      for (int k = 0; k < 6; ++k) {
        kp[2 * k] += double(d.keypoints[k].x) * d.score;
        kp[2 * k + 1] += double(d.keypoints[k].y) * d.score;
      }
      alive[i] = false;
      ++removed;
    }
    Detection m = in[best];
    if (removed > 0) {
      m.xmin = float(x0 / w);
      m.ymin = float(y0 / w);
      m.width = float(x1 / w - x0 / w);
      m.height = float(y1 / w - y0 / w);
      for (int k = 0; k < 6; ++k) m.keypoints[k] = {float(kp[2 * k] / w), float(kp[2 * k + 1] / w)};
    }
    out.push_back(m);
    if (removed == 0) break;
  }
  return out;
}

std::vector<Detection> PlainRef(const std::vector<Detection>& in, double thr) {
  std::vector<Detection> sorted = in;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> out;
  for (const Detection& d : sorted) {
    bool keep = true;
    for (const Detection& k : out) keep = keep && IoURef(k, d) <= thr;
    if (keep) out.push_back(d);
  }
  return out;
}

std::vector<Detection> RandomDetections(std::mt19937& rng, int n) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<Detection> v;
  float cx[4], cy[4];
  for (int c = 0; c < 4; ++c) cx[c] = 0.2f + 0.6f * u(rng), cy[c] = 0.2f + 0.6f * u(rng);
  for (int i = 0; i < n; ++i) {
    Detection d;
    const int c = i % 4;
    const float s = 0.05f + 0.2f * u(rng);
    d.score = 0.5f + 0.5f * u(rng);
    d.xmin = cx[c] + 0.05f * (u(rng) - 0.5f) - s / 2;
    d.ymin = cy[c] + 0.05f * (u(rng) - 0.5f) - s / 2;
    d.width = s;
    d.height = s * (0.8f + 0.4f * u(rng));
    for (auto& kp : d.keypoints) kp = {cx[c] + 0.1f * u(rng), cy[c] + 0.1f * u(rng)};
    v.push_back(d);
  }
  return v;
}

}  // namespace

TEST(decode_matches_independent_formula) {
  const std::vector<Anchor> anchors = GenerateSsdAnchors(FaceDetectionShortRangeAnchorOptions());
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> box(-40.0f, 40.0f), size(1.0f, 60.0f), logit(-6.0f, 6.0f);
  std::vector<float> raw(896 * 16), scores(896);
  for (int i = 0; i < 896; ++i) {
    for (int c = 0; c < 16; ++c) raw[i * 16 + c] = box(rng);
    raw[i * 16 + 2] = size(rng);
    raw[i * 16 + 3] = size(rng);
    scores[i] = logit(rng);
  }
  scores[5] = 0.0f;        // sigmoid exactly 0.5: kept (score >= min)
  scores[6] = 1000.0f;     // clipped to 100 -> 1.0
  scores[7] = 4.0f;
  raw[7 * 16 + 2] = -3.0f;  // negative width: dropped
  scores[8] = 4.0f;
  raw[8 * 16 + 3] = std::numeric_limits<float>::quiet_NaN();  // NaN height: dropped

  std::vector<Detection> out;
  DecodeDetections(raw.data(), scores.data(), anchors, DetectionDecodeOptions(), &out);

  size_t j = 0;
  int expected_count = 0;
  for (int i = 0; i < 896; ++i) {
    const double clipped = std::max(-100.0, std::min(100.0, double(scores[i])));
    const double score = 1.0 / (1.0 + std::exp(-clipped));
    const float* r = &raw[i * 16];
    const double w = r[2] / 128.0 * anchors[i].w, h = r[3] / 128.0 * anchors[i].h;
    if (score < 0.5 || !(w >= 0) || !(h >= 0)) continue;
    ++expected_count;
    if (j >= out.size()) continue;
    const Detection& d = out[j++];
    const double xc = r[0] / 128.0 * anchors[i].w + anchors[i].x_center;
    const double yc = r[1] / 128.0 * anchors[i].h + anchors[i].y_center;
    CHECK_NEAR(d.score, score, 1e-6);
    CHECK_NEAR(d.xmin, xc - w / 2, 1e-6);
    CHECK_NEAR(d.ymin, yc - h / 2, 1e-6);
    CHECK_NEAR(d.width, w, 1e-6);
    CHECK_NEAR(d.height, h, 1e-6);
    for (int k = 0; k < 6; ++k) {
      CHECK_NEAR(d.keypoints[k].x, r[4 + 2 * k] / 128.0 * anchors[i].w + anchors[i].x_center, 1e-6);
      CHECK_NEAR(d.keypoints[k].y, r[5 + 2 * k] / 128.0 * anchors[i].h + anchors[i].y_center, 1e-6);
    }
  }
  CHECK(int(out.size()) == expected_count);
  CHECK(expected_count > 100);
  // The sigmoid(0) box and the clipped box are present, the bad-size ones absent.
  bool has_half = false, has_one = false;
  for (const Detection& d : out) {
    has_half = has_half || d.score == 0.5f;
    has_one = has_one || d.score == 1.0f;
  }
  CHECK(has_half && has_one);
}

TEST(decode_yxhw_order_swaps_axes) {
  std::vector<Anchor> anchors(1, Anchor{0.25f, 0.75f, 1.0f, 1.0f});
  DetectionDecodeOptions o;
  o.num_boxes = 1;
  o.reverse_output_order = false;
  float raw[16] = {12.8f, -25.6f, 6.4f, 12.8f};  // y, x, h, w
  raw[4] = 1.28f;  // keypoint 0: y then x
  raw[5] = 2.56f;
  float score = 3.0f;
  std::vector<Detection> out;
  DecodeDetections(raw, &score, anchors, o, &out);
  CHECK(out.size() == 1u);
  if (out.empty()) return;
  CHECK_NEAR(out[0].xmin, 0.25 - 0.2 - 0.05, 1e-6);
  CHECK_NEAR(out[0].ymin, 0.75 + 0.1 - 0.025, 1e-6);
  CHECK_NEAR(out[0].keypoints[0].x, 0.25 + 0.02, 1e-6);
  CHECK_NEAR(out[0].keypoints[0].y, 0.75 + 0.01, 1e-6);
}

TEST(weighted_nms_matches_mediapipe_calculator) {
  // Rows: score, xmin, ymin, width, height, 6 keypoints (geometry_refgen.py, seed 7).
  const float in_rows[][17] = {
      {0.733967483f, 0.4465532f, 0.635425627f, 0.259413898f, 0.249194667f, 0.594104528f, 0.770403326f, 0.529736757f, 0.763669968f, 0.611025333f, 0.697921872f, 0.553379357f, 0.670071423f, 0.511783242f, 0.673045814f, 0.564505577f, 0.701760232f},
      {0.733103037f, 0.569347799f, 0.236770451f, 0.202977762f, 0.219912916f, 0.668411672f, 0.343924791f, 0.594329894f, 0.314371675f, 0.621910751f, 0.297817469f, 0.723881662f, 0.297882617f, 0.669210613f, 0.382478833f, 0.641656697f, 0.332674235f},
      {0.819858611f, 0.247594029f, 0.590692699f, 0.269430041f, 0.282458127f, 0.304951817f, 0.768376827f, 0.388276756f, 0.693334162f, 0.482329875f, 0.763520718f, 0.322344601f, 0.729133487f, 0.411143541f, 0.715968609f, 0.416454554f, 0.72208184f},
      {0.818998277f, 0.477896601f, 0.656593084f, 0.221011251f, 0.228810742f, 0.594765663f, 0.707738996f, 0.559437156f, 0.757288933f, 0.633340418f, 0.824359834f, 0.522225857f, 0.727366626f, 0.620747387f, 0.667477727f, 0.565243721f, 0.76223439f},
      {0.784859598f, 0.55016005f, 0.20852071f, 0.280783355f, 0.260873556f, 0.766728163f, 0.327511132f, 0.675367713f, 0.366541833f, 0.684513211f, 0.339048177f, 0.634848356f, 0.348336309f, 0.668372631f, 0.407218784f, 0.723206162f, 0.347705215f},
      {0.875662446f, 0.311251074f, 0.635118365f, 0.16443266f, 0.148818031f, 0.328922719f, 0.734668672f, 0.309057176f, 0.615568221f, 0.378243536f, 0.672338307f, 0.401670039f, 0.829572499f, 0.351881236f, 0.686137497f, 0.403737575f, 0.741985321f},
      {0.575531125f, 0.430611223f, 0.593291759f, 0.281835854f, 0.306266487f, 0.56757009f, 0.735974014f, 0.518804908f, 0.747201622f, 0.52863133f, 0.782813013f, 0.581166446f, 0.738674998f, 0.541977763f, 0.728279173f, 0.471641839f, 0.677639306f},
      {0.673030734f, 0.604727626f, 0.22461237f, 0.1358812f, 0.148059532f, 0.630393386f, 0.331502527f, 0.679215789f, 0.215711221f, 0.735125661f, 0.364638329f, 0.669377983f, 0.278857172f, 0.664674878f, 0.24379535f, 0.727597535f, 0.265408367f},
      {0.534357667f, 0.2368f, 0.56599021f, 0.284551919f, 0.280568004f, 0.371371597f, 0.756562233f, 0.379742205f, 0.673545957f, 0.362741709f, 0.680254579f, 0.379473925f, 0.689502776f, 0.364079863f, 0.63933742f, 0.338733673f, 0.790969014f},
      {0.801889539f, 0.50039202f, 0.656005859f, 0.122481145f, 0.12197154f, 0.488931388f, 0.706820309f, 0.530030012f, 0.629195452f, 0.598378956f, 0.716074228f, 0.56520468f, 0.679630816f, 0.584371805f, 0.69028151f, 0.554487467f, 0.661833346f},
      {0.901018262f, 0.499753863f, 0.220499471f, 0.282670975f, 0.304023445f, 0.619032085f, 0.336436898f, 0.672593474f, 0.346741557f, 0.633517206f, 0.362946033f, 0.699914753f, 0.395860493f, 0.660219371f, 0.333656371f, 0.571990907f, 0.409311444f},
      {0.96917063f, 0.318371683f, 0.640260875f, 0.162114039f, 0.163358957f, 0.4454979f, 0.698536992f, 0.475177377f, 0.658988237f, 0.442514867f, 0.746014476f, 0.443109661f, 0.815268338f, 0.473650992f, 0.664059043f, 0.31499514f, 0.762162328f}};
  const float out_rows[][17] = {
      {0.96917063f, 0.284658104f, 0.613743901f, 0.210703462f, 0.209479868f, 0.365186989f, 0.736018121f, 0.391493767f, 0.658336937f, 0.421800971f, 0.719349623f, 0.390187144f, 0.77610153f, 0.405997545f, 0.679276526f, 0.369253606f, 0.751179218f},
      {0.901018262f, 0.537199974f, 0.221543983f, 0.257906437f, 0.264532328f, 0.681918502f, 0.335810155f, 0.649774849f, 0.343355834f, 0.646545768f, 0.335454106f, 0.686066866f, 0.350747406f, 0.66558969f, 0.372320652f, 0.642167091f, 0.366096884f},
      {0.818998277f, 0.454302847f, 0.632177651f, 0.250700116f, 0.256783247f, 0.587184191f, 0.736981988f, 0.538208902f, 0.75676173f, 0.597332895f, 0.769526422f, 0.548905611f, 0.710667312f, 0.561874628f, 0.685838044f, 0.539679885f, 0.718507171f},
      {0.801889539f, 0.50039202f, 0.656005859f, 0.122481167f, 0.121971548f, 0.488931358f, 0.706820309f, 0.530030012f, 0.629195452f, 0.598378956f, 0.716074228f, 0.56520468f, 0.679630876f, 0.584371805f, 0.69028151f, 0.554487467f, 0.661833346f},
      {0.673030734f, 0.604727626f, 0.22461237f, 0.135881186f, 0.148059532f, 0.630393386f, 0.331502527f, 0.679215789f, 0.215711221f, 0.735125661f, 0.364638329f, 0.669377983f, 0.278857172f, 0.664674878f, 0.24379535f, 0.727597535f, 0.265408367f}};
  std::vector<Detection> in, out;
  for (const auto& r : in_rows) in.push_back(FromRow(r));
  NonMaxSuppression(in, NmsOptions(), &out);
  CHECK(out.size() == 5u);
  for (size_t i = 0; i < std::min<size_t>(5, out.size()); ++i) CheckSame(out[i], FromRow(out_rows[i]), 2e-7);
}

TEST(weighted_nms_matches_brute_force_on_random_sets) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const std::vector<Detection> in = RandomDetections(rng, 1 + trial % 30);
    std::vector<Detection> out;
    NonMaxSuppression(in, NmsOptions(), &out);
    const std::vector<Detection> ref = WeightedRef(in, 0.3);
    CHECK(out.size() == ref.size());
    if (out.size() != ref.size()) return;
    for (size_t i = 0; i < out.size(); ++i) CheckSame(out[i], ref[i], 2e-6);
  }
}

TEST(plain_nms_matches_brute_force_on_random_sets) {
  std::mt19937 rng(5);
  NmsOptions o;
  o.algorithm = NmsAlgorithm::kDefault;
  for (int trial = 0; trial < 200; ++trial) {
    const std::vector<Detection> in = RandomDetections(rng, 1 + trial % 25);
    std::vector<Detection> out;
    NonMaxSuppression(in, o, &out);
    const std::vector<Detection> ref = PlainRef(in, 0.3);
    CHECK(out.size() == ref.size());
    if (out.size() != ref.size()) return;
    for (size_t i = 0; i < out.size(); ++i) CheckSame(out[i], ref[i], 0.0);
  }
  // max_num_detections caps the plain algorithm.
  std::mt19937 rng2(9);
  const std::vector<Detection> in = RandomDetections(rng2, 20);
  o.max_num_detections = 2;
  std::vector<Detection> out;
  NonMaxSuppression(in, o, &out);
  CHECK(out.size() == 2u);
}

TEST(nms_overlap_threshold_is_strict) {
  Detection a, b;
  a.score = 0.9f;
  a.xmin = 0.1f, a.ymin = 0.1f, a.width = 0.4f, a.height = 0.4f;
  b = a;
  b.score = 0.8f;
  b.xmin = 0.3f;
  const float iou = DetectionIoU(a, b);
  CHECK_NEAR(iou, 0.2 / 0.6, 1e-6);
  NmsOptions o;
  o.min_suppression_threshold = iou;  // equal overlap does not suppress
  std::vector<Detection> out;
  NonMaxSuppression({a, b}, o, &out);
  CHECK(out.size() == 2u);
  o.min_suppression_threshold = std::nextafter(iou, 0.0f);
  NonMaxSuppression({a, b}, o, &out);
  CHECK(out.size() == 1u);
  if (out.size() == 1u) {
    // Weighted corners: (0.9 * 0.1 + 0.8 * 0.3) / 1.7 etc.; score stays the top one's.
    CHECK(out[0].score == 0.9f);
    CHECK_NEAR(out[0].xmin, (0.9 * 0.1 + 0.8 * 0.3) / 1.7, 1e-6);
    CHECK_NEAR(out[0].width, (0.9 * 0.5 + 0.8 * 0.7) / 1.7 - (0.9 * 0.1 + 0.8 * 0.3) / 1.7, 1e-6);
  }
}

TEST(weighted_nms_stops_when_an_iteration_removes_nothing) {
  // A top detection with zero width overlaps nothing, not even itself (zero union), so the
  // first iteration removes nothing: upstream emits it and stops, dropping the rest.
  Detection top, other;
  top.score = 0.95f;
  top.xmin = 0.2f, top.ymin = 0.2f, top.width = 0.0f, top.height = 0.1f;
  other.score = 0.7f;
  other.xmin = 0.6f, other.ymin = 0.6f, other.width = 0.1f, other.height = 0.1f;
  std::vector<Detection> out;
  NonMaxSuppression({other, top}, NmsOptions(), &out);
  CHECK(out.size() == 1u);
  if (!out.empty()) CHECK(out[0].score == 0.95f);
  CHECK(WeightedRef({other, top}, 0.3).size() == 1u);
}

TEST(box_iou_edge_cases) {
  CHECK(BoxIoU(0, 0, 1, 1, 1, 0, 1, 1) == 0.0f);        // touching edge: zero area
  CHECK(BoxIoU(0, 0, 1, 1, 2, 0, 1, 1) == 0.0f);        // apart
  CHECK(BoxIoU(0, 0, -1, 1, 0, 0, 1, 1) == 0.0f);       // empty
  CHECK_NEAR(BoxIoU(0, 0, 2, 2, 1, 1, 2, 2), 1.0 / 7.0, 1e-7);
  CHECK(BoxIoU(0, 0, 1, 1, 0, 0, 1, 1) == 1.0f);
}
