"""The database and broker URLs srm-bridge can use, checked when settings load rather than on first connect."""
from pathlib import Path
from urllib.parse import urlsplit

from config.masking import mask_url

#: backend -> drivers shipped with srm-bridge ("" is the backend's default driver)
DATABASES = {"postgresql": ("", "psycopg"), "postgres": ("", "psycopg"), "sqlite": ("", "pysqlite")}
DATABASE_EXAMPLES = "postgresql://user:password@host:5432/db or sqlite:///path/to/file.db"
#: kombu transports srm-bridge publishes and consumes with: RabbitMQ (confirms, returns) and the embedded folder
BROKERS = ("amqp", "amqps", "filesystem")
BROKER_EXAMPLES = "amqp://user:password@host:5672/vhost (RabbitMQ; amqps:// with TLS) or filesystem:// (embedded)"


def check_database_url(url: str) -> str:
    scheme, separator, _ = url.partition("://")
    if not separator:
        raise ValueError(f"{mask_url(url)!r} is not a URL; use {DATABASE_EXAMPLES}")
    backend, _, driver = scheme.lower().partition("+")
    if driver not in DATABASES.get(backend, ()):
        raise ValueError(f"{scheme}:// databases are not supported; use {DATABASE_EXAMPLES}")
    _check_port(url, DATABASE_EXAMPLES)
    if backend == "sqlite":
        _check_sqlite_folder(url)
    return url


def _check_sqlite_folder(url: str) -> None:
    """SQLite creates its file but not the folder: a folder that does not exist is a wrong setting, never worth
    waiting for."""
    database = url.partition(":///")[2].partition("?")[0]
    if database and database != ":memory:" and not Path(database).parent.is_dir():
        raise ValueError(f"folder {Path(database).parent} of the SQLite database does not exist; create it or "
                         "point the URL at an existing folder")


def joined_broker_urls(value: object) -> object:
    """A YAML list of broker URLs as the `;`-separated string kombu takes for failover."""
    return ";".join(str(url).strip() for url in value) if isinstance(value, list) else value


def check_broker_url(url: str) -> str:
    """One broker URL, or several RabbitMQ nodes separated by `;` (tried in turn: kombu's failover)."""
    urls = [part.strip() for part in url.split(";")]
    for part in urls:
        scheme, separator, _ = part.partition("://")
        if not separator:
            raise ValueError(f"{mask_url(part)!r} is not a URL; use {BROKER_EXAMPLES}")
        if scheme.lower() not in BROKERS:
            raise ValueError(f"broker transport {scheme}:// is not supported; use {BROKER_EXAMPLES}")
        _check_port(part, BROKER_EXAMPLES)
    if len(urls) > 1 and any(not part.lower().startswith(("amqp://", "amqps://")) for part in urls):
        raise ValueError("several broker URLs (failover) must all be amqp:// or amqps:// (RabbitMQ nodes)")
    return ";".join(urls)


def _check_port(url: str, examples: str) -> None:
    try:
        urlsplit(url).port
    except ValueError as exc:
        raise ValueError(f"{mask_url(url)!r} is not a valid URL ({exc}); use {examples}") from None
