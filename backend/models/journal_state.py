from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class LedgerJournalState(SQLModel, table=True):
    """How far one gateway process's local ledger journal is already in this database.

    Not a new-api table: newapi-py's own. A flush writes `seq` (the highest journal sequence number
    its batch holds, per kind: `ledger`, `log`, `quota`) in the same transaction as the batch, so
    a replay after a crash applies only journal records above it: never twice. One row per kind
    and process (`node`, the journal's file name); removed once that journal is gone.
    """

    __tablename__ = "ledger_journal_state"

    node: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    seq: int = Field(default=0, sa_type=BigInteger)
