"""Who may read the console: anyone on this machine when it listens on loopback only; elsewhere only
with the token or the basic-auth credentials from `console.*`, and without them it does not serve."""
import base64
import hashlib
import hmac
import ipaddress

from config import ConfigError
from config.settings import ConsoleSettings

COOKIE = "srm_bridge_console"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def check_can_serve(settings: ConsoleSettings, host: str) -> None:
    """Refuse to serve on a non-loopback address without credentials: one line naming the settings."""
    if not is_loopback(host) and settings.token is None and settings.username is None:
        raise ConfigError(f"the console listens on {host}, beyond this machine: set console.token "
                          "(SRM_BRIDGE_CONSOLE__TOKEN) or console.username and console.password "
                          "(SRM_BRIDGE_CONSOLE__USERNAME, SRM_BRIDGE_CONSOLE__PASSWORD), or bind it to 127.0.0.1")


class Gate:
    """Checks one request's credentials; open when none are configured (loopback only, see above)."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self._token = settings.token.get_secret_value() if settings.token else None
        self._user = settings.username
        self._password = settings.password.get_secret_value() if settings.password else None

    @property
    def open(self) -> bool:
        return self._token is None and self._user is None

    @property
    def basic(self) -> bool:
        return self._user is not None

    def cookie_value(self) -> str:
        """What the cookie holds after `?token=`: a digest of the token, never the token itself."""
        return hashlib.sha256(f"srm-bridge console {self._token}".encode()).hexdigest()

    def token_matches(self, offered: str | None) -> bool:
        return self._token is not None and offered is not None and _same(offered, self._token)

    def admits(self, authorization: str | None, cookie: str | None) -> bool:
        if self.open:
            return True
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and self.token_matches(value.strip()):
            return True
        if self._token is not None and cookie is not None and _same(cookie, self.cookie_value()):
            return True
        if scheme.lower() == "basic" and self._user is not None:
            try:
                user, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except ValueError:
                return False
            return _same(user, self._user) & _same(password, self._password or "")
        return False


def _same(offered: str, expected: str) -> bool:
    """Constant-time comparison (of bytes: any characters)."""
    return hmac.compare_digest(offered.encode(), expected.encode())
