"""`python -m techtransfer`: run the techtransfer service (parts chosen by OPP_RUN)."""

from opp_shared.serve import serve
from techtransfer.main import create_app
from techtransfer.settings import TechtransferSettings


def main() -> None:
    serve(create_app, TechtransferSettings())


if __name__ == "__main__":
    main()
