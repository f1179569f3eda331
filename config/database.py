"""The database section: where records live, and the bounds on every wait for the database."""
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from config.strict import StrictModel
from config.urls import check_database_url


class DatabaseSettings(StrictModel):
    """Where records live, and the bounds on every wait for the database (see store/db.py)."""

    url: Annotated[str, AfterValidator(check_database_url)] = Field(
        "sqlite:///srm-bridge.db", description="postgresql://user:password@host/db or sqlite:///path.")
    connect_timeout_s: int = Field(10, ge=1, description="PostgreSQL: give up connecting after this long.")
    statement_timeout_s: float = Field(300, gt=0, description="PostgreSQL: the server cancels a longer statement.")
    lock_timeout_s: float = Field(30, gt=0, description=(
        "Waiting longer for a lock fails the statement (PostgreSQL lock_timeout, SQLite busy timeout)."))
    idle_in_transaction_timeout_s: float = Field(120, gt=0, description=(
        "PostgreSQL: the server ends a session idle this long inside a transaction, releasing its locks."))
    answer_timeout_s: float = Field(330, gt=0, description=(
        "PostgreSQL: the longest wait for any answer; a silent connection is then closed with an error."))
    keepalives_idle_s: int = Field(30, ge=1, description="PostgreSQL: TCP keepalive after this long idle.")
    keepalives_interval_s: int = Field(10, ge=1)
    keepalives_count: int = Field(3, ge=1, description="Unanswered keepalives (and seconds of unacknowledged "
                                                      "data, idle + interval × count) before the link is dead.")

    @model_validator(mode="after")
    def _answer_outlasts_statements(self) -> "DatabaseSettings":
        if self.answer_timeout_s <= self.statement_timeout_s:
            raise ValueError("answer_timeout_s must be longer than statement_timeout_s, or the client would give "
                             "up on statements the server still allows")
        return self
