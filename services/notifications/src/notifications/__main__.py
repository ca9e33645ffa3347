"""`python -m notifications`: run the notifications service (parts chosen by OPP_RUN)."""

from notifications.main import create_app
from notifications.settings import NotificationsSettings
from opp_shared.serve import serve


def main() -> None:
    serve(create_app, NotificationsSettings())


if __name__ == "__main__":
    main()
