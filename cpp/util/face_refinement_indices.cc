// Data: refinement index maps of MediaPipe's face landmark model with attention
// (tensors_to_face_landmarks_with_attention.pbtxt, Apache-2.0), as shipped in mediapipe 0.10.21.
#include "util/face_refinement_indices.h"

namespace fmn {

const int kLipsRefinementIndices[80] = {
    // lower outer
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291,
    // upper outer (no corners)
    185, 40, 39, 37, 0, 267, 269, 270, 409,
    // lower inner
    78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
    // upper inner (no corners)
    191, 80, 81, 82, 13, 312, 311, 310, 415,
    // lower semi-outer
    76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306,
    // upper semi-outer (no corners)
    184, 74, 73, 72, 11, 302, 303, 304, 408,
    // lower semi-inner
    62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292,
    // upper semi-inner (no corners)
    183, 42, 41, 38, 12, 268, 271, 272, 407};

const int kLeftEyeRefinementIndices[71] = {
    // lower contour
    33, 7, 163, 144, 145, 153, 154, 155, 133,
    // upper contour (no corners)
    246, 161, 160, 159, 158, 157, 173,
    // halo x2 lower
    130, 25, 110, 24, 23, 22, 26, 112, 243,
    // halo x2 upper
    247, 30, 29, 27, 28, 56, 190,
    // halo x3 lower
    226, 31, 228, 229, 230, 231, 232, 233, 244,
    // halo x3 upper
    113, 225, 224, 223, 222, 221, 189,
    // halo x4 upper / eyebrow inner contour
    35, 124, 46, 53, 52, 65,
    // halo x5 lower
    143, 111, 117, 118, 119, 120, 121, 128, 245,
    // halo x5 upper / eyebrow outer contour
    156, 70, 63, 105, 66, 107, 55, 193};

const int kRightEyeRefinementIndices[71] = {
    // lower contour
    263, 249, 390, 373, 374, 380, 381, 382, 362,
    // upper contour (no corners)
    466, 388, 387, 386, 385, 384, 398,
    // halo x2 lower
    359, 255, 339, 254, 253, 252, 256, 341, 463,
    // halo x2 upper
    467, 260, 259, 257, 258, 286, 414,
    // halo x3 lower
    446, 261, 448, 449, 450, 451, 452, 453, 464,
    // halo x3 upper
    342, 445, 444, 443, 442, 441, 413,
    // halo x4 upper / eyebrow inner contour
    265, 353, 276, 283, 282, 295,
    // halo x5 lower
    372, 340, 346, 347, 348, 349, 350, 357, 465,
    // halo x5 upper / eyebrow outer contour
    383, 300, 293, 334, 296, 336, 285, 417};

// centre, right edge, top edge, left edge, bottom edge
const int kLeftIrisRefinementIndices[5] = {468, 469, 470, 471, 472};
const int kRightIrisRefinementIndices[5] = {473, 474, 475, 476, 477};

const int kLeftIrisZAverageIndices[16] = {33,  7,   163, 144, 145, 153, 154, 155,
                                          133, 246, 161, 160, 159, 158, 157, 173};
const int kRightIrisZAverageIndices[16] = {263, 249, 390, 373, 374, 380, 381, 382,
                                           362, 466, 388, 387, 386, 385, 384, 398};

}  // namespace fmn
