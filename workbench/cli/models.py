"""`workbench models` (being written)."""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("models", help="(being written)")
    parser.set_defaults(run=lambda args: print("not yet available") or 1)
