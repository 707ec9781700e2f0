"""Local stand-in for @rules_java//java:defs.bzl.

Why it exists: Bazel 4.2.3 registers its Java toolchains (@bazel_tools//tools/jdk:all) for
every build, C++ only included, and that package loads @rules_java//java:defs.bzl; without a
definition in WORKSPACE Bazel tries to download rules_java from GitHub, which an offline build
cannot do. This project has no Java; in Bazel 4 the Java rules are native, so re-exporting them
is all rules_java did for these names.
"""

java_binary = native.java_binary
java_import = native.java_import
java_library = native.java_library
java_plugin = native.java_plugin
java_proto_library = native.java_proto_library
java_runtime = native.java_runtime
java_test = native.java_test
java_toolchain = native.java_toolchain
