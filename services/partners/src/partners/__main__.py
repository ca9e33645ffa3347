"""`python -m partners`: run the partners service (parts chosen by OPP_RUN)."""

from opp_shared.serve import serve
from partners.main import create_app
from partners.settings import PartnersSettings


def main() -> None:
    serve(create_app, PartnersSettings())


if __name__ == "__main__":
    main()
