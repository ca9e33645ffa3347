"""`python -m funding`: run the funding service (parts chosen by OPP_RUN)."""

from funding.main import create_app
from funding.settings import FundingSettings
from opp_shared.serve import serve


def main() -> None:
    serve(create_app, FundingSettings())


if __name__ == "__main__":
    main()
