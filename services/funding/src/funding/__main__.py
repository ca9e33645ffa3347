"""`python -m funding`: run the funding service (parts chosen by OPP_RUN)."""

from opp_shared.serve import serve
from funding.main import create_app
from funding.settings import FundingSettings


def main() -> None:
    serve(create_app, FundingSettings())


if __name__ == "__main__":
    main()
