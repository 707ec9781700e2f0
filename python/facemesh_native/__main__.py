"""Command line: python -m facemesh_native {doctor,demo,bench,landmarks} ...
(also installed as the console script `facemesh-native`)."""
import argparse
import sys


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="python -m facemesh_native")
    p.add_argument("command", choices=["doctor", "demo", "bench", "landmarks"])
    if not argv or argv[0] in ("-h", "--help"):
        p.print_help()
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "doctor":
        d = argparse.ArgumentParser(prog="python -m facemesh_native doctor",
                                    description="why isn't FaceMesh using my GPU?")
        d.add_argument("--json", action="store_true", help="machine-readable output")
        a = d.parse_args(rest)
        from ._doctor import doctor
        doctor(as_json=a.json)
        return 0
    if cmd == "demo":
        from .demo import main as demo_main
        return demo_main(rest)
    if cmd == "landmarks":
        from ._landmarks_cli import main as landmarks_main
        return landmarks_main(rest)
    if cmd == "bench":
        from .bench import main as bench_main
        return bench_main(rest)
    p.error(f"unknown command {cmd!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
