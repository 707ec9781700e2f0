"""Local stand-in for @rules_cc//cc:defs.bzl.

Why it exists: Bazel 4.2.3 (Debian's bazel-bootstrap) loads @rules_cc//cc:defs.bzl from its
own C++ toolchain BUILD files, and without a definition in WORKSPACE it tries to download
rules_cc from GitHub, which an offline build cannot do. Debian's bazel-rules-cc package is
written for a newer Bazel and does not load in 4.2.3. In Bazel 4 the C++ rules are native, so
re-exporting them is all rules_cc did for these names anyway.
"""

cc_binary = native.cc_binary
cc_import = native.cc_import
cc_library = native.cc_library
cc_proto_library = native.cc_proto_library
cc_test = native.cc_test
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
fdo_prefetch_hints = native.fdo_prefetch_hints
fdo_profile = native.fdo_profile
objc_library = native.objc_library
objc_import = native.objc_import
