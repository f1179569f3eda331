"""The one error tree connectors raise; `sync/` never sees a zeep or requests exception.

    ConnectorError
    ├── TransientError      timeouts, connection errors, 5xx, throttling: retried with backoff
    ├── AuthError           bad credentials, expired session that cannot be renewed
    ├── PayloadError        a response that is not what the protocol promises (HTML, bad XML, DTDs)
    │   └── ResponseTooLarge    an answer over its size bound: ask for less
    ├── RemoteFault         a business fault the remote system reports (StandardMessageFault, 4xx)
    ├── LimitExceeded       the remote API budget is used up: stop cleanly, retry later
    ├── Stopped             the run was told to stop (shutdown, lost leadership): resume next run
    └── StreamTimeout       the stream ran past its bounded total time (`<source>.stream_timeout_s`)
"""


class ConnectorError(Exception):
    """Base of every error a connector raises; `str()` is safe to log (no secrets)."""


class TransientError(ConnectorError):
    pass


class AuthError(ConnectorError):
    pass


class PayloadError(ConnectorError):
    pass


class ResponseTooLarge(PayloadError):
    pass


class RemoteFault(ConnectorError):
    pass


class LimitExceeded(ConnectorError):
    pass


class Stopped(ConnectorError):
    """Not the remote system's fault: the service is stopping, so waits and retries are abandoned."""


class StreamTimeout(ConnectorError):
    pass
